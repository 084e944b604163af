package io.wasminference.tvm;

import io.wasminference.abi.Shape;
import io.wasminference.errors.ModelRefusedException;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TvmMetadataTest {
    private static final String BASE = "abi: tvm-standalone\nname: m\nversion: 1\nmax_batch: 4\n";

    @Test
    void jsonShapesDefaultToABatchOfOne() {
        TvmMetadata m = TvmMetadata.parse(BASE + "input: data f32 3x224x224\noutput: out f32 1000\n");
        assertThat(m.inputJsonShape()).isEqualTo(Shape.of(1, 3, 224, 224));
        assertThat(m.outputJsonShape()).isEqualTo(Shape.of(1, 1000));
        assertThat(m.model().maxBatch()).isEqualTo(4);
    }

    @Test
    void refusesWhatTheSeedCannotCarry() {
        assertThatThrownBy(() -> TvmMetadata.parse(BASE.replace("tvm-standalone", "1") + "input: a f32 2\noutput: b f32 2"))
                .isInstanceOf(ModelRefusedException.class).hasMessageContaining("is not 'abi: tvm-standalone'");
        assertThatThrownBy(() -> TvmMetadata.parse(BASE + "input: a f64 2\noutput: b f32 2"))
                .hasMessageContaining("FP32, INT32 and INT8 only");
        assertThatThrownBy(() -> TvmMetadata.parse(BASE + "input: a f32 2\ninput: c f32 2\noutput: b f32 2"))
                .hasMessageContaining("one input tensor");
        assertThatThrownBy(() -> TvmMetadata.parse(BASE + "input: a f32 2\noutput: b f32 2\ninput_json_shape: 1x3"))
                .hasMessageContaining("input_json_shape 1x3 has 3 elements");
        assertThatThrownBy(() -> TvmMetadata.parse(BASE + "input: a f32 2\noutput: b f32 2\nbogus: 1"))
                .hasMessageContaining("line 7: unknown key 'bogus'")
                .hasMessageStartingWith("invalid tvm-standalone metadata");
    }
}
