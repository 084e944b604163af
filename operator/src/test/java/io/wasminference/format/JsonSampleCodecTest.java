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
        "{\"id\": \"a\", \"data\": [1, 2, 3, 256]}                   | value 3 = 256 is not a u8",
        "{\"id\": \"a\", \"data\": [1, 2, 3, 0.5]}                   | value 3 = 0.5 is not a u8",
        "{\"id\": \"a\", \"data\": [1, 2, 3, \"NaN\"]}               | NaN and Infinity are not accepted",
        "{\"id\": \"a\"}                                             | needs 'data'",
        "{\"id\": \"a\", \"label\": \"cat\", \"data\": [1, 2, 3, 4]} | 'label' must be a non-negative integer",
        "{\"id\": \"a\", \"label\": 3.7, \"data\": [1, 2, 3, 4]}   | 'label' must be a non-negative integer class index, got 3.7",
        "{\"id\": \"a\", \"label\": 3.0, \"data\": [1, 2, 3, 4]}   | 'label' must be a non-negative integer class index, got 3.0",
        "{\"id\": \"a\", \"label\": -1, \"data\": [1, 2, 3, 4]}    | 'label' must be a non-negative integer class index, got -1",
        "{\"id\": \"a\", \"label\": true, \"data\": [1, 2, 3, 4]}  | 'label' must be a non-negative integer class index, got true",
        "{\"id\": \"a\", \"data\": [1, 2, 3, 4]} xyz                 | trailing content after the sample",
        "{\"id\": \"a\", \"data\": [1, 2, 3, 4]} {\"id\": \"b\"}     | trailing content after the sample",
        "{\"id\": \"a\", \"data\": [1, 2, 3, 4], \"data\": [5, 6, 7, 8]} | duplicate key 'data'",
        "{\"id\": \"a\", \"id\": \"b\", \"data\": [1, 2, 3, 4]}      | duplicate key 'id'",
        "{\"id\": \"a\", \"shape\": [2.9, 2], \"data\": [1, 2, 3, 4]} | 'shape' must be an array of non-negative integers: shape[0] is 2.9",
        "{\"id\": \"a\", \"shape\": [2.0, 2], \"data\": [1, 2, 3, 4]} | 'shape' must be an array of non-negative integers: shape[0] is 2.0",
        "{\"id\": \"a\", \"shape\": [\"2\", 2], \"data\": [1, 2, 3, 4]} | shape[0] is \"2\"",
        "{\"id\": \"a\", \"shape\": [true, 2, 2], \"data\": [1, 2, 3, 4]} | shape[0] is true",
        "{\"id\": \"a\", \"shape\": [4294967298, 2], \"data\": [1, 2, 3, 4]} | shape[0] is 4294967298",
        "{\"id\": \"a\", \"inputs\": {\"img\": {\"data\": [1]}}}     | has no input 'img'",
    })
    void rejectsBadInputWithAReason(String json, String reason) {
        assertThatThrownBy(() -> new JsonSampleCodec(IMAGE_MODEL).decode(json))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining(reason);
    }

    private static final ModelMetadata INTEGERS = MetadataParser.parse(
            "abi: 1\nname: ints\nversion: 1\nmax_batch: 8\ninput: g i64 4\ninput: b i32 2\noutput: y f32 2\n");

    @Test
    void integersAreDecodedExactlyNotThroughDouble() {
        Sample s = new JsonSampleCodec(INTEGERS).decode("{\"inputs\": {"
                + "\"g\": {\"data\": [9007199254740993, 9223372036854775807, -9223372036854775808, 12345678901234567e2]}, "
                + "\"b\": {\"data\": [2147483647, -2.147483648e9]}}}");
        java.nio.ByteBuffer g = s.inputs().get("g").buffer();
        assertThat(g.getLong(0)).isEqualTo(9007199254740993L); // 2^53 + 1: a double would give ...992
        assertThat(g.getLong(8)).isEqualTo(Long.MAX_VALUE);
        assertThat(g.getLong(16)).isEqualTo(Long.MIN_VALUE);
        assertThat(g.getLong(24)).isEqualTo(1234567890123456700L); // an exact integer written with an exponent
        assertThat(s.inputs().get("b").buffer().getInt(0)).isEqualTo(Integer.MAX_VALUE);
        assertThat(s.inputs().get("b").buffer().getInt(4)).isEqualTo(Integer.MIN_VALUE);
        assertThat(new JsonSampleCodec(INTEGERS).decode("{\"inputs\": {\"g\": {\"data\": [9007199254740993.0, 0, 0, 0]}, "
                + "\"b\": {\"data\": [1, 2]}}}").inputs().get("g").buffer().getLong(0)).isEqualTo(9007199254740993L);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "9223372036854775808, 0, 0, 0     | 1, 2         | value 0 = 9223372036854775808 is not a i64",
        "-9223372036854775809, 0, 0, 0    | 1, 2         | value 0 = -9223372036854775809 is not a i64",
        "18446744073709551616, 0, 0, 0    | 1, 2         | value 0 = 18446744073709551616 is not a i64",
        "1e30, 0, 0, 0                    | 1, 2         | is not a i64",
        "1e999999999, 0, 0, 0             | 1, 2         | is not a i64",
        "9007199254740993.5, 0, 0, 0      | 1, 2         | value 0 = 9007199254740993.5 is not a i64",
        "0, 0, 0, 0                       | 2147483648, 2 | input 'b' value 0 = 2147483648 is not a i32",
        "0, 0, 0, 0                       | 1, 2.5       | input 'b' value 1 = 2.5 is not a i32",
    })
    void integersOutsideTheirTypeAreRejectedNotClamped(String g, String b, String reason) {
        assertThatThrownBy(() -> new JsonSampleCodec(INTEGERS).decode("{\"inputs\": {\"g\": {\"data\": [" + g
                + "]}, \"b\": {\"data\": [" + b + "]}}}"))
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
