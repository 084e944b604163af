package io.wasminference.jobs;

import io.wasminference.format.BinaryPredictionCodec;
import io.wasminference.format.PredictionJson;
import io.wasminference.record.ClassScore;
import io.wasminference.record.Prediction;
import io.wasminference.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class ConsumeCommandTest {
    private static final Prediction P = new Prediction("img-17", null, List.of(),
            Map.of("logits", Tensor.ofFloats(new int[] {2}, new float[] {-1f, 4f})),
            List.of(new ClassScore(1, "Trouser", 0.9931f)), "fashion-lenet5", "1.0.0", 64, 800, 1500);

    @Test
    void aBinaryPredictionReadsAsTheSameLineAsItsJson() {
        String fromJson = ConsumeCommand.describe(PredictionJson.encode(P, true));
        assertThat(fromJson).startsWith("PRED  img-17").contains("Trouser (0.993)", "fashion-lenet5:1.0.0",
                "batch 64, 2300 us");
        assertThat(ConsumeCommand.describe(BinaryPredictionCodec.encode(P, true))).isEqualTo(fromJson);
    }

    @Test
    void aBrokenBinaryPredictionSaysWhatIsWrong() {
        byte[] b = BinaryPredictionCodec.encode(P, true);
        assertThat(ConsumeCommand.describe(Arrays.copyOf(b, b.length - 3)))
                .startsWith("BAD   binary prediction: truncated binary prediction");
    }
}
