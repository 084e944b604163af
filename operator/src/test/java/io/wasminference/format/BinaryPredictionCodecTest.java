package io.wasminference.format;

import io.wasminference.abi.DType;
import io.wasminference.errors.InvalidInputException;
import io.wasminference.record.ClassScore;
import io.wasminference.record.Prediction;
import io.wasminference.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BinaryPredictionCodecTest {

    private static Prediction classifier() {
        Map<String, Tensor> outputs = new LinkedHashMap<>();
        outputs.put("logits", Tensor.ofFloats(new int[] {10}, new float[] {-3.1f, 9.7f, 0, 1, 2, 3, 4, 5, 6, Float.MIN_VALUE}));
        outputs.put("ids", Tensor.wrap(DType.I64, new int[] {2}, new byte[] {1, 0, 0, 0, 0, 0, 0, (byte) 0x80, 2, 0, 0, 0, 0, 0, 0, 0}));
        outputs.put("mask", Tensor.wrap(DType.U8, new int[] {1, 3}, new byte[] {(byte) 255, 0, 7}));
        return new Prediction("img-17 ✓", null, List.of(), outputs,
                List.of(new ClassScore(1, "Trouser", 0.9981f), new ClassScore(3, "Dress", 0.0012f)),
                "fashion-lenet5", "1.0.0", 64, 812, 1_530L + (1L << 40));
    }

    @Test
    void aPredictionReadsBackAsItWasWrittenWithEveryOutputBitForBit() {
        Prediction p = classifier();
        byte[] bytes = BinaryPredictionCodec.encode(p, true);
        assertThat(BinaryPredictionCodec.isBinaryPrediction(bytes)).isTrue();
        Prediction back = BinaryPredictionCodec.decode(bytes);
        assertThat(back).isEqualTo(p);
        assertThat(back.outputs().keySet()).containsExactlyInAnyOrder("logits", "ids", "mask");
    }

    @Test
    void withoutOutputsOnlyTheVerdictTravelsAndItIsFarSmallerThanTheJson() {
        Prediction p = classifier();
        byte[] bytes = BinaryPredictionCodec.encode(p, false);
        Prediction back = BinaryPredictionCodec.decode(bytes);
        assertThat(back.outputs()).isEmpty();
        assertThat(back.topK()).isEqualTo(p.topK());
        assertThat(back.inferenceMicros()).isEqualTo(p.inferenceMicros());
        assertThat(bytes.length).isLessThan(PredictionJson.encode(p, false).length / 2);
    }

    @Test
    void aTruncatedOrPaddedRecordIsRefusedSayingWhereItBroke() {
        Prediction one = new Prediction("m", null, List.of(),
                Map.of("mask", Tensor.wrap(DType.U8, new int[] {3}, new byte[] {1, 2, 3})), List.of(), "seg", "2", 1, 0, 0);
        byte[] bytes = BinaryPredictionCodec.encode(one, true);
        assertThatThrownBy(() -> BinaryPredictionCodec.decode(Arrays.copyOf(bytes, bytes.length - 1)))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("truncated binary prediction: data of output 'mask' needs 3 bytes");
        assertThatThrownBy(() -> BinaryPredictionCodec.decode(Arrays.copyOf(bytes, bytes.length + 2)))
                .hasMessageContaining("2 unexpected bytes after the last output");
        assertThatThrownBy(() -> BinaryPredictionCodec.decode("{\"id\": 1}".getBytes()))
                .hasMessageContaining("does not start with the magic 'WIP1'");
    }
}
