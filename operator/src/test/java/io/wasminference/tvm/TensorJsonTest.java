package io.wasminference.tvm;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TensorJsonTest {
    private static final TensorJson JSON = new TensorJson(TvmMetadata.parse(
            "abi: tvm-standalone\nname: m\nversion: 1\nmax_batch: 2\ninput: x f32 2\noutput: y i8 3\n"));

    private static byte[] read(String text) {
        ByteBuffer mem = ByteBuffer.allocate(512);
        byte[] b = text.getBytes(StandardCharsets.US_ASCII);
        mem.put(100, b);
        byte[] out = new byte[3];
        JSON.readOutput(mem, 100, b.length, out, 0);
        return out;
    }

    @Test
    void writesTheSeedsInputLayout() {
        ByteBuffer mem = ByteBuffer.allocate(JSON.maxInputLength() + 10);
        byte[] sample = {0, 0, (byte) 128, 63, 1, 2, 3, (byte) 255};
        int n = JSON.writeInput(mem, 10, sample, 0);
        byte[] text = new byte[n];
        mem.get(10, text);
        assertThat(new String(text, StandardCharsets.US_ASCII)).isEqualTo(
                "{\"dtype\":\"FP32\",\"shape\":[1,2],\"strides\":[2,1],\"data\":[0,0,128,63,1,2,3,255]}");
        assertThat(n).isLessThanOrEqualTo(JSON.maxInputLength());
    }

    @Test
    void readsCompactOrSpacedOutputWithOrWithoutStrides() {
        assertThat(read("{\"dtype\":\"INT8\",\"shape\":[1,3],\"strides\":[3,1],\"data\":[1,2,255]}"))
                .containsExactly(1, 2, -1);
        assertThat(read(" { \"data\" : [ 7 , 8 , 9 ] , \"strides\": null, \"shape\":[1, 3], \"dtype\":\"INT8\" } \n"))
                .containsExactly(7, 8, 9);
    }

    @Test
    void refusesOutputThatIsNotWhatTheMetadataSays() {
        assertThatThrownBy(() -> read("not json")).hasMessageContaining("not the seed's tensor JSON");
        assertThatThrownBy(() -> read("{\"dtype\":\"INT8\",\"shape\":[1,3],\"strides\":[3,1],\"data\":[1,2,3"))
                .hasMessageContaining("end of the returned length");
        assertThatThrownBy(() -> read("{\"dtype\":\"INT8\",\"shape\":[1,3],\"strides\":[3,1],\"data\":[1,2]}"))
                .hasMessageContaining("data has 2 bytes, but its shape [1, 3] of INT8 needs 3");
        assertThatThrownBy(() -> read("{\"dtype\":\"INT8\",\"shape\":[1,3],\"strides\":[3,1],\"data\":[1,2,3,4]}"))
                .hasMessageContaining("data has 4 bytes");
        assertThatThrownBy(() -> read("{\"dtype\":\"FP32\",\"shape\":[1,3],\"strides\":[3,1],\"data\":[1,2,3]}"))
                .hasMessageContaining("the output is FP32");
        assertThatThrownBy(() -> read("{\"dtype\":\"INT8\",\"shape\":[3],\"strides\":[1],\"data\":[1,2,3]}"))
                .hasMessageContaining("shape [3]");
        assertThatThrownBy(() -> read("{\"dtype\":\"INT8\",\"shape\":[1,3],\"strides\":[1,1],\"data\":[1,2,3]}"))
                .hasMessageContaining("compact row-major strides");
        assertThatThrownBy(() -> read("{\"dtype\":\"INT8\",\"shape\":[1,3],\"strides\":[3,1],\"data\":[1,256,3]}"))
                .hasMessageContaining("256 is not a byte");
        assertThatThrownBy(() -> read("{\"dtype\":\"INT8\",\"shape\":[1,3],\"data\":[1,2,3]}"))
                .hasMessageContaining("lacks one of");
        assertThatThrownBy(() -> read("{\"dtype\":\"INT8\",\"shape\":[1,3],\"strides\":[3,1],\"data\":[1,2,3]}x"))
                .hasMessageContaining("more bytes after the JSON object");
    }
}
