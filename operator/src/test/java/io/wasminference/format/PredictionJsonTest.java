package io.wasminference.format;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.wasminference.record.DeadLetter;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Base64;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class PredictionJsonTest {
    private static final ObjectMapper JSON = new ObjectMapper();

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
