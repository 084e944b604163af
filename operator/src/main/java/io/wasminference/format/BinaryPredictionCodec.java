package io.wasminference.format;

import io.wasminference.abi.DType;
import io.wasminference.abi.Shape;
import io.wasminference.errors.InvalidInputException;
import io.wasminference.record.ClassScore;
import io.wasminference.record.Prediction;
import io.wasminference.tensor.Tensor;
import org.apache.flink.annotation.PublicEvolving;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The binary prediction format (docs/formats.md), for consumers that need throughput: the JSON encoding of a
 * prediction costs about 2 µs (10 float logits and the top 3), its binary form a small fraction of that. All
 * integers little-endian; tensors are laid out as in the binary input format ({@link BinaryTensorCodec}).
 *
 * <pre>
 * magic         4 bytes   "WIP1"
 * id            u16 length + UTF-8
 * model name    u16 length + UTF-8
 * model version u16 length + UTF-8
 * batch_size    u32       records that shared the wasm call
 * queue_us      u64       time the record waited for its batch
 * inference_us  u64       the wasm call of the whole batch
 * n_top         u8        top-k entries, best first (0 for models that are not classifiers)
 *   index u32, p f32, label u16 length + UTF-8
 * n_outputs     u8        raw output tensors (0 when outputs are not included)
 *   name u8 length + UTF-8, dtype u8, rank u8, dims u32 x rank, data
 * </pre>
 *
 * Thread-safety: stateless.
 */
@PublicEvolving
public final class BinaryPredictionCodec {
    /** {@code "WIP1"}. */
    public static final byte[] MAGIC = {'W', 'I', 'P', '1'};
    private static final DType[] CODES = {DType.F32, DType.F64, DType.I32, DType.I64, DType.I8, DType.U8};

    private BinaryPredictionCodec() {}

    /** Whether {@code value} starts with this format's magic. */
    public static boolean isBinaryPrediction(byte[] value) {
        return value.length >= 4 && value[0] == MAGIC[0] && value[1] == MAGIC[1] && value[2] == MAGIC[2]
                && value[3] == MAGIC[3];
    }

    /** The prediction's bytes; raw output tensors only when {@code includeOutputs}. */
    public static byte[] encode(Prediction p, boolean includeOutputs) {
        byte[] id = utf8(p.id());
        byte[] name = utf8(p.modelName());
        byte[] version = utf8(p.modelVersion());
        List<byte[]> labels = new ArrayList<>(p.topK().size());
        int size = 4 + 6 + id.length + name.length + version.length + 4 + 16 + 2;
        for (ClassScore c : p.topK()) {
            byte[] label = utf8(c.label() == null ? "" : c.label());
            labels.add(label);
            size += 10 + label.length;
        }
        Map<String, Tensor> outputs = includeOutputs ? p.outputs() : Map.of();
        List<byte[]> outputNames = new ArrayList<>(outputs.size());
        for (Map.Entry<String, Tensor> e : outputs.entrySet()) {
            byte[] n = utf8(e.getKey());
            if (n.length > 255) {
                throw new IllegalArgumentException("output name longer than 255 bytes: " + e.getKey());
            }
            outputNames.add(n);
            size += 3 + n.length + 4 * e.getValue().shape().length + e.getValue().byteSize();
        }
        if (p.topK().size() > 255 || outputs.size() > 255) {
            throw new IllegalArgumentException("at most 255 top-k entries and outputs fit a binary prediction");
        }
        ByteBuffer b = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
        b.put(MAGIC);
        putString(b, id);
        putString(b, name);
        putString(b, version);
        b.putInt(p.batchSize()).putLong(p.queueMicros()).putLong(p.inferenceMicros());
        b.put((byte) p.topK().size());
        for (int i = 0; i < p.topK().size(); i++) {
            ClassScore c = p.topK().get(i);
            b.putInt(c.index()).putFloat(c.probability());
            putString(b, labels.get(i));
        }
        b.put((byte) outputs.size());
        int o = 0;
        for (Map.Entry<String, Tensor> e : outputs.entrySet()) {
            byte[] n = outputNames.get(o++);
            Tensor t = e.getValue();
            b.put((byte) n.length).put(n).put((byte) code(t.dtype())).put((byte) t.shape().length);
            for (int d : t.shape()) {
                b.putInt(d);
            }
            b.put(t.toByteArray());
        }
        return b.array();
    }

    /** Reads a prediction written by {@link #encode} (key and headers are the Kafka record's, not in the value). */
    public static Prediction decode(byte[] value) {
        if (!isBinaryPrediction(value)) {
            throw new InvalidInputException("binary prediction does not start with the magic 'WIP1'");
        }
        ByteBuffer b = ByteBuffer.wrap(value).order(ByteOrder.LITTLE_ENDIAN);
        b.position(4);
        String id = string(b, "id");
        String name = string(b, "model name");
        String version = string(b, "model version");
        need(b, 20, "batch size and latencies");
        int batchSize = b.getInt();
        long queue = b.getLong();
        long inference = b.getLong();
        int k = u8(b, "top-k count");
        List<ClassScore> top = new ArrayList<>(k);
        for (int i = 0; i < k; i++) {
            need(b, 8, "top-k entry");
            int index = b.getInt();
            float p = b.getFloat();
            top.add(new ClassScore(index, string(b, "label"), p));
        }
        int n = u8(b, "output count");
        Map<String, Tensor> outputs = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
            int len = u8(b, "output name length");
            need(b, len, "output name");
            byte[] nb = new byte[len];
            b.get(nb);
            String out = new String(nb, StandardCharsets.UTF_8);
            int code = u8(b, "dtype");
            if (code >= CODES.length) {
                throw new InvalidInputException("output '" + out + "' has unknown dtype code " + code);
            }
            int rank = u8(b, "rank");
            if (rank < 1 || rank > Shape.MAX_RANK) {
                throw new InvalidInputException("output '" + out + "' has rank " + rank);
            }
            int[] dims = new int[rank];
            long elements = 1;
            need(b, 4L * rank, "dims");
            for (int d = 0; d < rank; d++) {
                dims[d] = b.getInt();
                if (dims[d] < 0) {
                    throw new InvalidInputException("output '" + out + "' has a negative dimension");
                }
                elements *= dims[d];
            }
            long bytes = elements * CODES[code].byteSize();
            need(b, bytes, "data of output '" + out + "'");
            byte[] data = new byte[(int) bytes];
            b.get(data);
            outputs.put(out, Tensor.wrap(CODES[code], dims, data));
        }
        if (b.hasRemaining()) {
            throw new InvalidInputException(b.remaining() + " unexpected bytes after the last output");
        }
        return new Prediction(id, null, List.of(), outputs, top, name, version, batchSize, queue, inference);
    }

    private static int code(DType d) {
        for (int i = 0; i < CODES.length; i++) {
            if (CODES[i] == d) {
                return i;
            }
        }
        throw new IllegalArgumentException("no binary code for dtype " + d);
    }

    private static byte[] utf8(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        if (b.length > 0xFFFF) {
            throw new IllegalArgumentException("string longer than 65535 bytes in a binary prediction");
        }
        return b;
    }

    private static void putString(ByteBuffer b, byte[] s) {
        b.putShort((short) s.length).put(s);
    }

    private static String string(ByteBuffer b, String what) {
        need(b, 2, what + " length");
        int len = b.getShort() & 0xFFFF;
        need(b, len, what);
        byte[] s = new byte[len];
        b.get(s);
        return new String(s, StandardCharsets.UTF_8);
    }

    private static int u8(ByteBuffer b, String what) {
        need(b, 1, what);
        return b.get() & 0xFF;
    }

    private static void need(ByteBuffer b, long n, String what) {
        if (b.remaining() < n) {
            throw new InvalidInputException("truncated binary prediction: " + what + " needs " + n
                    + " bytes at offset " + b.position() + ", only " + b.remaining() + " left");
        }
    }
}
