package io.wasminference.format;

import io.wasminference.abi.MetadataParser;
import io.wasminference.abi.ModelMetadata;
import io.wasminference.errors.InvalidInputException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class JsonSampleCodecTest {
    private static final ModelMetadata IMAGE_MODEL = MetadataParser.parse(
            "abi: 1\nname: m\nversion: 1\nmax_batch: 8\ninput: image u8 2x2\noutput: y f32 2\n");
    private static final ModelMetadata TWO_INPUTS = MetadataParser.parse(
            "abi: 1\nname: m2\nversion: 1\nmax_batch: 8\ninput: a f32 2\ninput: b i8 1\noutput: y f32 2\n");

    @Test
    void decodesTheSingleInputForm() {
        Sample s = new JsonSampleCodec(IMAGE_MODEL).decode(
                "{\"id\": \"a1\", \"shape\": [2, 2], \"dtype\": \"u8\", \"data\": [0, 1, 254, 255], \"label\": 3}");
        assertThat(s.id()).isEqualTo("a1");
        assertThat(s.label()).hasValue(3);
        assertThat(s.inputs().get("image").toDoubles()).containsExactly(0, 1, 254, 255);
        assertThat(s.inputs().get("image").shape()).containsExactly(2, 2);
        // A leading batch dimension of 1 and a missing dtype are accepted.
        Sample b = new JsonSampleCodec(IMAGE_MODEL).decode("{\"id\": \"a2\", \"shape\": [1, 2, 2], \"data\": [1,2,3,4]}");
        assertThat(b.label()).isEmpty();
        assertThat(b.inputs().get("image").shape()).containsExactly(2, 2);
    }

    @Test
    void decodesNamedInputs() {
        Sample s = new JsonSampleCodec(TWO_INPUTS).decode(
                "{\"id\": \"x\", \"inputs\": {\"a\": {\"shape\": [2], \"data\": [1.5, -2]}, "
                        + "\"b\": {\"data\": [-7]}}}");
        assertThat(s.inputs().get("a").toFloats()).containsExactly(1.5f, -2f);
        assertThat(s.inputs().get("b").toDoubles()).containsExactly(-7);
    }

    @ParameterizedTest(name = "{1}")
    @CsvSource(delimiter = '|', value = {
        "{\"id\": \"a\", \"data\": [1, 2, 3                          | malformed JSON",
        "[1, 2, 3]                                                   | must be a JSON object",
        "{\"id\": \"a\", \"shape\": [3], \"data\": [1, 2, 3]}        | has shape [3] but the model expects [2, 2]",
        "{\"id\": \"a\", \"data\": [1, 2, 3]}                        | has 3 values but shape 2x2 needs 4",
        "{\"id\": \"a\", \"dtype\": \"f32\", \"data\": [1, 2, 3, 4]} | has dtype f32 but the model expects u8",
        "{\"id\": \"a\", \"data\": [1, 2, 3, 256]}                   | value 3 = 256.0 is not a u8",
        "{\"id\": \"a\", \"data\": [1, 2, 3, 0.5]}                   | value 3 = 0.5 is not a u8",
        "{\"id\": \"a\", \"data\": [1, 2, 3, \"NaN\"]}               | NaN and Infinity are not accepted",
        "{\"id\": \"a\"}                                             | needs 'data'",
        "{\"id\": \"a\", \"label\": \"cat\", \"data\": [1, 2, 3, 4]} | 'label' must be an integer",
        "{\"id\": \"a\", \"inputs\": {\"img\": {\"data\": [1]}}}     | has no input 'img'",
    })
    void rejectsBadInputWithAReason(String json, String reason) {
        assertThatThrownBy(() -> new JsonSampleCodec(IMAGE_MODEL).decode(json))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining(reason);
    }

    @Test
    void rejectsNonFiniteFloatsAndMissingNamedInputs() {
        assertThatThrownBy(() -> new JsonSampleCodec(TWO_INPUTS).decode(
                "{\"id\": \"x\", \"inputs\": {\"a\": {\"data\": [1e39, 0]}, \"b\": {\"data\": [1]}}}"))
                .hasMessageContaining("overflows f32");
        assertThatThrownBy(() -> new JsonSampleCodec(TWO_INPUTS).decode(
                "{\"id\": \"x\", \"inputs\": {\"a\": {\"data\": [1, 0]}}}"))
                .hasMessageContaining("input 'b' (b i8 1) is missing");
        assertThatThrownBy(() -> new JsonSampleCodec(TWO_INPUTS).decode("{\"id\": \"x\", \"data\": [1, 2]}"))
                .hasMessageContaining("has 2 inputs");
    }
}
