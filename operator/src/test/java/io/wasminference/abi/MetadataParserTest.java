package io.wasminference.abi;

import io.wasminference.errors.ModelRefusedException;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class MetadataParserTest {

    private static final String VALID = String.join("\n",
            "# a comment",
            "abi: 1",
            "name: fashion-lenet5",
            "version: 1.0.0",
            "max_batch: 128",
            "kind: classifier",
            "input: image u8 28x28",
            "input: mask f32 1x28x28",
            "output: logits f32 10",
            "label: 0 T-shirt/top",
            "label: 9 Ankle boot",
            "");

    @Test
    void parsesEveryField() {
        ModelMetadata m = MetadataParser.parse(VALID);
        assertThat(m.name()).isEqualTo("fashion-lenet5");
        assertThat(m.version()).isEqualTo("1.0.0");
        assertThat(m.id()).isEqualTo("fashion-lenet5:1.0.0");
        assertThat(m.maxBatch()).isEqualTo(128);
        assertThat(m.kind()).isEqualTo(ModelKind.CLASSIFIER);
        assertThat(m.inputs()).extracting(TensorSpec::name).containsExactly("image", "mask");
        assertThat(m.inputs().get(0).dtype()).isEqualTo(DType.U8);
        assertThat(m.inputs().get(0).shape()).isEqualTo(Shape.of(28, 28));
        assertThat(m.inputs().get(1).sampleBytes()).isEqualTo(28 * 28 * 4);
        assertThat(m.outputs().get(0).shape().elementCount()).isEqualTo(10);
        assertThat(m.labels()).hasSize(10);
        assertThat(m.label(0)).isEqualTo("T-shirt/top");
        assertThat(m.label(9)).isEqualTo("Ankle boot");
        assertThat(m.label(3)).isEqualTo("3");
    }

    @Test
    void acceptsCrlfAndDefaultsToGeneric() {
        ModelMetadata m = MetadataParser.parse("abi: 1\r\nname: m\r\nversion: 2\r\nmax_batch: 1\r\n"
                + "input: x i8 3\r\noutput: y i64 1\r\n");
        assertThat(m.kind()).isEqualTo(ModelKind.GENERIC);
        assertThat(m.inputs().get(0).dtype()).isEqualTo(DType.I8);
        assertThat(m.outputs().get(0).dtype()).isEqualTo(DType.I64);
    }

    @Test
    void refusesUnknownKeysDtypesAndDuplicates() {
        assertThatThrownBy(() -> MetadataParser.parse(VALID + "colour: blue\n"))
                .isInstanceOf(ModelRefusedException.class)
                .hasMessageContaining("unknown key 'colour'");
        assertThatThrownBy(() -> MetadataParser.parse(VALID.replace("u8 28x28", "f16 28x28")))
                .hasMessageContaining("unknown dtype 'f16'");
        assertThatThrownBy(() -> MetadataParser.parse(VALID + "name: other\n"))
                .hasMessageContaining("'name' is given twice");
        assertThatThrownBy(() -> MetadataParser.parse(VALID + "input: image f32 4\n"))
                .hasMessageContaining("input 'image' is declared twice");
        assertThatThrownBy(() -> MetadataParser.parse(VALID + "label: 0 again\n"))
                .hasMessageContaining("label 0 is declared twice");
    }

    @Test
    void refusesBadValues() {
        assertThatThrownBy(() -> MetadataParser.parse(VALID.replace("abi: 1", "abi: 2")))
                .hasMessageContaining("ABI version '2' is not supported");
        assertThatThrownBy(() -> MetadataParser.parse(VALID.replace("max_batch: 128", "max_batch: 0")))
                .hasMessageContaining("max_batch '0' is not an integer in 1..65536");
        assertThatThrownBy(() -> MetadataParser.parse(VALID.replace("28x28\n", "28x0\n")))
                .hasMessageContaining("dimension 0 out of range");
        assertThatThrownBy(() -> MetadataParser.parse(VALID.replace("28x28\n", "28*28\n")))
                .hasMessageContaining("not dimensions separated by 'x'");
        assertThatThrownBy(() -> MetadataParser.parse(VALID + "label: 10 eleventh\n"))
                .hasMessageContaining("label index 10 is outside the first output 'logits' of 10 classes");
        assertThatThrownBy(() -> MetadataParser.parse(VALID.replace("name: fashion-lenet5", "name: has space")))
                .hasMessageContaining("model name 'has space' must match");
    }

    @Test
    void refusesMissingRequiredKeys() {
        assertThatThrownBy(() -> MetadataParser.parse(VALID.replace("abi: 1\n", "")))
                .hasMessageContaining("missing 'abi: 1'");
        assertThatThrownBy(() -> MetadataParser.parse(VALID.replace("version: 1.0.0\n", "")))
                .hasMessageContaining("missing 'version:'");
        assertThatThrownBy(() -> MetadataParser.parse(VALID.replace("output: logits f32 10\n", "")
                        .replaceAll("label: .*\n", "")))
                .hasMessageContaining("at least one 'input:' and one 'output:'");
    }

    @Test
    void refusesLabelsOnGenericModelsAndNonVectorClassifiers() {
        assertThatThrownBy(() -> MetadataParser.parse(VALID.replace("kind: classifier", "kind: generic")))
                .hasMessageContaining("labels are declared but kind is not 'classifier'");
        assertThatThrownBy(() -> MetadataParser.parse(VALID.replace("logits f32 10", "logits f32 2x5")
                        .replaceAll("label: .*\n", "")))
                .hasMessageContaining("first output must be a vector");
    }

    @Test
    void refusesInvalidUtf8() {
        assertThatThrownBy(() -> MetadataParser.parse(new byte[] {'a', 'b', 'i', ':', (byte) 0xC3, (byte) 0x28}))
                .hasMessageContaining("not valid UTF-8");
    }

    /** The record serializers store the rank in a byte, the binary format caps it at 8: so does the metadata. */
    @Test
    void capsTheRankAtEight() {
        String rank8 = VALID.replace("input: mask f32 1x28x28", "input: mask f32 1x1x1x1x1x1x28x28");
        assertThat(MetadataParser.parse(rank8).inputs().get(1).shape().rank()).isEqualTo(8);
        String rank9 = VALID.replace("input: mask f32 1x28x28", "input: mask f32 1x1x1x1x1x1x1x28x28");
        assertThatThrownBy(() -> MetadataParser.parse(rank9))
                .isInstanceOf(ModelRefusedException.class)
                .hasMessageContaining("line 8: input 'mask': shape 1x1x1x1x1x1x1x28x28 has 9 dimensions; "
                        + "ABI v1 allows at most 8");
        String rank128 = VALID.replace("input: mask f32 1x28x28", "input: mask f32 " + "1x".repeat(127) + "1");
        assertThatThrownBy(() -> MetadataParser.parse(rank128))
                .isInstanceOf(ModelRefusedException.class)
                .hasMessageContaining("has 128 dimensions");
    }

    /** Edge cases of the syntax, as docs/abi.md §2 states them. */
    @Test
    void skipsALeadingByteOrderMark() {
        byte[] text = VALID.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        byte[] withBom = new byte[text.length + 3];
        withBom[0] = (byte) 0xEF;
        withBom[1] = (byte) 0xBB;
        withBom[2] = (byte) 0xBF;
        System.arraycopy(text, 0, withBom, 3, text.length);
        assertThat(MetadataParser.parse(withBom).name()).isEqualTo("fashion-lenet5");
    }

    @Test
    void aHashAfterAValueIsPartOfTheValueAndTheErrorSaysSo() {
        assertThatThrownBy(() -> MetadataParser.parse(VALID.replace("max_batch: 128", "max_batch: 128  # at most")))
                .isInstanceOf(ModelRefusedException.class)
                .hasMessageContaining("line 5: max_batch '128  # at most' is not an integer")
                .hasMessageContaining("'#' starts a comment only at the start of a line");
        String described = VALID.replace("kind: classifier", "kind: classifier\ndescription: model #3 of 5");
        assertThat(MetadataParser.parse(described).description()).isEqualTo("model #3 of 5");
        assertThat(MetadataParser.parse(VALID.replace("label: 9 Ankle boot", "label: 9 Ankle boot #9"))
                .label(9)).isEqualTo("Ankle boot #9");
    }

    @Test
    void refusesUpperCaseDtypes() {
        assertThatThrownBy(() -> MetadataParser.parse(VALID.replace("image u8", "image U8")))
                .isInstanceOf(ModelRefusedException.class)
                .hasMessageContaining("line 7: input 'image': dtype 'U8' must be lower case ('u8')");
    }

    @Test
    void refusesALabelWithoutText() {
        assertThatThrownBy(() -> MetadataParser.parse(VALID.replace("label: 9 Ankle boot", "label: 9")))
                .isInstanceOf(ModelRefusedException.class)
                .hasMessageContaining("label 9 has no text");
    }
}
