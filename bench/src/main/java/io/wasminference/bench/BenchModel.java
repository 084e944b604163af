package io.wasminference.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.wasminference.abi.DType;
import io.wasminference.tensor.Tensor;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;

/**
 * One sample model as every benchmark sees it: its wasm builds, its ONNX export and the first {@link #SAMPLES}
 * samples of its held-out test set, so every variant (wasm, native C, ONNX Runtime) runs the same weights on the
 * same inputs. Sample {@code i} of a batch of {@code B} is test sample {@code i}.
 */
public enum BenchModel {
    DIGITS_MLP("digits-mlp", "pixels", DType.F32, new int[] {64}),
    FASHION_LENET5("fashion-lenet5", "image", DType.U8, new int[] {28, 28});

    /** Largest batch any benchmark uses (the sample models' max_batch). */
    public static final int SAMPLES = 128;
    /** Bytes of one output sample: logits f32 10. */
    public static final int OUTPUT_BYTES = 40;

    private final String id;
    private final String input;
    private final DType dtype;
    private final int[] shape;
    private volatile byte[][] samples;

    BenchModel(String id, String input, DType dtype, int[] shape) {
        this.id = id;
        this.input = input;
        this.dtype = dtype;
        this.shape = shape;
    }

    public static BenchModel of(String id) {
        for (BenchModel m : values()) {
            if (m.id.equals(id)) {
                return m;
            }
        }
        throw new IllegalArgumentException("unknown sample model '" + id + "'");
    }

    public String id() {
        return id;
    }

    public String inputName() {
        return input;
    }

    public DType dtype() {
        return dtype;
    }

    /** Shape of one sample. */
    public int[] shape() {
        return shape.clone();
    }

    public int sampleBytes() {
        int n = dtype.byteSize();
        for (int d : shape) {
            n *= d;
        }
        return n;
    }

    /** {@code model.wasm} (SIMD128) or {@code model-scalar.wasm}. */
    public byte[] wasm(boolean simd) {
        return resource("samples/" + id + "/" + (simd ? "model.wasm" : "model-scalar.wasm"));
    }

    /** The ONNX export next to the model's source: {@code samples/models/NAME/model.onnx} under the repo root. */
    public Path onnx() {
        return Repo.root().resolve("samples/models/" + id + "/model.onnx");
    }

    /** One test sample's input bytes (little-endian, as ABI v1 lays them out). */
    public byte[] sample(int i) {
        return samples()[i];
    }

    /** The first {@code batch} samples stacked: the input of a batch of that size. */
    public byte[] batchBytes(int batch) {
        int sb = sampleBytes();
        byte[] out = new byte[batch * sb];
        for (int i = 0; i < batch; i++) {
            System.arraycopy(samples()[i], 0, out, i * sb, sb);
        }
        return out;
    }

    /** One sample as a tensor (no batch dimension), the way a decoded record carries it. */
    public Tensor sampleTensor(int i) {
        return Tensor.wrap(dtype, shape, sample(i));
    }

    private byte[][] samples() {
        byte[][] s = samples;
        if (s == null) {
            synchronized (this) {
                if (samples == null) {
                    samples = readSamples();
                }
                s = samples;
            }
        }
        return s;
    }

    private byte[][] readSamples() {
        ObjectMapper mapper = new ObjectMapper();
        List<byte[]> out = new ArrayList<>();
        String path = "samples/" + id + "/test.jsonl.gz";
        try (InputStream raw = BenchModel.class.getClassLoader().getResourceAsStream(path)) {
            if (raw == null) {
                throw new IllegalStateException("resource " + path + " not found: is wasm-inference-samples on the "
                        + "classpath?");
            }
            BufferedReader r = new BufferedReader(new InputStreamReader(new GZIPInputStream(raw),
                    StandardCharsets.UTF_8));
            String line;
            while (out.size() < SAMPLES && (line = r.readLine()) != null) {
                JsonNode data = mapper.readTree(line).get("data");
                ByteBuffer b = ByteBuffer.allocate(sampleBytes()).order(ByteOrder.LITTLE_ENDIAN);
                for (JsonNode v : data) {
                    if (dtype == DType.U8) {
                        b.put((byte) v.intValue());
                    } else {
                        b.putFloat(v.floatValue());
                    }
                }
                if (b.hasRemaining()) {
                    throw new IllegalStateException(path + ": a sample has " + data.size() + " values");
                }
                out.add(b.array());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (out.size() < SAMPLES) {
            throw new IllegalStateException(path + " has only " + out.size() + " samples, need " + SAMPLES);
        }
        return out.toArray(new byte[0][]);
    }

    static byte[] resource(String path) {
        try (InputStream in = BenchModel.class.getClassLoader().getResourceAsStream(path)) {
            if (in == null) {
                throw new IllegalStateException("resource " + path + " not found");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes the first {@link #SAMPLES} samples, stacked, for the native harness (bench/native/harness.c). */
    public void exportInputs(Path file) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        Files.write(file, batchBytes(SAMPLES));
    }
}
