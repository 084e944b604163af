package io.wasminference.format;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.wasminference.abi.DType;
import io.wasminference.operator.InferenceConfig;
import io.wasminference.record.ClassScore;
import io.wasminference.record.DeadLetter;
import io.wasminference.record.Prediction;
import io.wasminference.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class PredictionJsonTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void writesThePredictionFormatOfTheDocs() throws Exception {
        Prediction p = new Prediction("img-17", "k".getBytes(), List.of(),
                Map.of("logits", Tensor.ofFloats(new int[] {3}, 0.1f, -3.25f, 1e-10f)),
                List.of(new ClassScore(1, "Trouser", 0.75f)), "fashion-lenet5", "1.0.0", 64, 812, 1530);
        String json = new String(PredictionJson.encode(p, true), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(json).isEqualTo("{\"id\":\"img-17\",\"model\":{\"name\":\"fashion-lenet5\",\"version\":\"1.0.0\"},"
                + "\"top_k\":[{\"index\":1,\"label\":\"Trouser\",\"p\":0.75}],"
                + "\"outputs\":{\"logits\":{\"dtype\":\"f32\",\"shape\":[3],\"data\":[0.1,-3.25,1.0E-10]}},"
                + "\"batch_size\":64,\"latency_us\":{\"queue\":812,\"inference\":1530}}");
        // f32 values are the shortest text that reads back as the same float (not 0.10000000149011612)
        assertThat((float) JSON.readTree(json).at("/outputs/logits/data/0").asDouble()).isEqualTo(0.1f);
        assertThat(new String(PredictionJson.encode(p, false), java.nio.charset.StandardCharsets.UTF_8))
                .doesNotContain("outputs");
    }

    /**
     * The default output cap keeps a JSON prediction under Kafka's default message limit (1 MiB) for every dtype,
     * with the longest text each dtype has (i8 -128 is 5 characters per byte).
     */
    @ParameterizedTest
    @EnumSource(DType.class)
    void theWorstOutputAtTheDefaultCapFitsInAKafkaMessage(DType dtype) throws Exception {
        int n = (int) (InferenceConfig.DEFAULT_MAX_OUTPUT_BYTES / dtype.byteSize());
        ByteBuffer b = ByteBuffer.allocate(n * dtype.byteSize()).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            switch (dtype) {
                case F32 -> b.putFloat(-1.1754944E-38f); // Float.MIN_NORMAL negated: 14 characters
                case F64 -> b.putDouble(-2.2250738585072014E-308); // 24 characters
                case I32 -> b.putInt(Integer.MIN_VALUE);
                case I64 -> b.putLong(Long.MIN_VALUE);
                case I8 -> b.put(Byte.MIN_VALUE);
                case U8 -> b.put((byte) 255);
            }
        }
        Tensor t = Tensor.wrap(dtype, new int[] {n}, b.array());
        Prediction p = new Prediction("topic/0/123456789", null, List.of(), Map.of("out", t), List.of(), "model",
                "1.0.0", 64, 1_000_000, 1_000_000);
        byte[] json = PredictionJson.encode(p, true);
        assertThat(json.length).as("JSON bytes of %s", dtype).isLessThan(1 << 20);
        JsonNode parsed = JSON.readTree(json);
        assertThat(parsed.at("/outputs/out/data")).hasSize(n);
    }

    @Test
    void aBoundedDeadLetterKeepsThePayloadsPrefixAndSaysItWasCut() throws Exception {
        byte[] payload = new byte[10_000];
        Arrays.fill(payload, (byte) 'x');
        String reason = "bad ".repeat(10_000);
        DeadLetter d = new DeadLetter("id", null, List.of(), "DECODE", reason, null, null, "t/0/1", payload);

        JsonNode cut = JSON.readTree(PredictionJson.encode(d, 1000));
        assertThat(Base64.getDecoder().decode(cut.get("payload_base64").asText())).hasSize(1000);
        assertThat(cut.get("payload_truncated").asBoolean()).isTrue();
        assertThat(cut.get("payload_bytes").asInt()).isEqualTo(10_000);
        assertThat(cut.at("/error/reason").asText()).startsWith("bad bad")
                .endsWith("(" + (reason.length() - PredictionJson.MAX_REASON_CHARS) + " more characters)")
                .hasSizeLessThan(PredictionJson.MAX_REASON_CHARS + 40);

        JsonNode whole = JSON.readTree(PredictionJson.encode(d, 10_000));
        assertThat(Base64.getDecoder().decode(whole.get("payload_base64").asText())).isEqualTo(payload);
        assertThat(whole.has("payload_truncated")).isFalse();
        assertThat(whole.get("payload_bytes").asInt()).isEqualTo(10_000);

        assertThat(JSON.readTree(PredictionJson.encode(d)).at("/error/reason").asText()).isEqualTo(reason);
    }
}
