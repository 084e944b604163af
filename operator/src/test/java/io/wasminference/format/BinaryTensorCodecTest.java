package io.wasminference.format;

import io.wasminference.abi.DType;
import io.wasminference.abi.MetadataParser;
import io.wasminference.abi.ModelMetadata;
import io.wasminference.errors.InvalidInputException;
import io.wasminference.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.HexFormat;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BinaryTensorCodecTest {
    private static final ModelMetadata MODEL = MetadataParser.parse(
            "abi: 1\nname: m\nversion: 1\nmax_batch: 8\ninput: x f32 2\ninput: img u8 2x2\noutput: y f32 1\n");

    @Test
    void theDocumentedExampleDecodes() {
        byte[] example = HexFormat.ofDelimiter(" ").parseHex(
                "57 49 54 31 01 00 61 01 01 78 00 01 02 00 00 00 00 00 80 3f 00 00 00 40");
        ModelMetadata one = MetadataParser.parse("abi: 1\nname: m\nversion: 1\nmax_batch: 8\ninput: x f32 2\n"
                + "output: y f32 1\n");
        Sample s = new BinaryTensorCodec(one).decode(example);
        assertThat(s.id()).isEqualTo("a");
        assertThat(s.inputs().get("x").toFloats()).containsExactly(1f, 2f);
        assertThat(BinaryTensorCodec.encode("a", Map.of("x", Tensor.ofFloats(new int[] {2}, 1f, 2f))))
                .isEqualTo(example);
    }

    @Test
    void roundTripsSeveralInputs() {
        Map<String, Tensor> inputs = Map.of(
                "x", Tensor.ofFloats(new int[] {2}, -1.5f, 3f),
                "img", Tensor.wrap(DType.U8, new int[] {2, 2}, new byte[] {0, 1, (byte) 254, (byte) 255}));
        Sample s = new BinaryTensorCodec(MODEL).decode(BinaryTensorCodec.encode("id-7", inputs));
        assertThat(s.id()).isEqualTo("id-7");
        assertThat(s.inputs()).isEqualTo(inputs);
    }

    @Test
    void rejectsEveryKindOfBrokenRecordWithAReason() {
        byte[] good = BinaryTensorCodec.encode("", Map.of(
                "x", Tensor.ofFloats(new int[] {2}, 1f, 2f),
                "img", Tensor.wrap(DType.U8, new int[] {2, 2}, new byte[4])));
        BinaryTensorCodec codec = new BinaryTensorCodec(MODEL);
        for (int cut = 4; cut < good.length; cut++) {
            byte[] truncated = Arrays.copyOf(good, cut);
            assertThatThrownBy(() -> codec.decode(truncated)).isInstanceOf(InvalidInputException.class);
        }
        byte[] longer = Arrays.copyOf(good, good.length + 3);
        assertThatThrownBy(() -> codec.decode(longer)).hasMessageContaining("3 unexpected bytes after the last tensor");
        assertThatThrownBy(() -> codec.decode(BinaryTensorCodec.encode("", Map.of(
                "x", Tensor.ofFloats(new int[] {2}, Float.NaN, 2f),
                "img", Tensor.wrap(DType.U8, new int[] {2, 2}, new byte[4])))))
                .hasMessageContaining("element 0 is NaN or infinite");
        assertThatThrownBy(() -> codec.decode(BinaryTensorCodec.encode("", Map.of(
                "x", Tensor.ofFloats(new int[] {3}, 1f, 2f, 3f)))))
                .hasMessageContaining("has shape [3] but the model expects [2]");
        assertThatThrownBy(() -> codec.decode(BinaryTensorCodec.encode("", Map.of(
                "x", Tensor.ofFloats(new int[] {2}, 1f, 2f)))))
                .hasMessageContaining("input 'img'")
                .hasMessageContaining("missing");
    }
}
