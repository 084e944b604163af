package io.wasminference.format;

import io.wasminference.abi.DType;
import io.wasminference.abi.ModelMetadata;
import io.wasminference.abi.Shape;
import io.wasminference.abi.TensorSpec;
import io.wasminference.errors.InvalidInputException;
import io.wasminference.tensor.Tensor;
import org.apache.flink.annotation.PublicEvolving;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.OptionalInt;

/**
 * The compact binary record format (docs/formats.md): a small header, then raw little-endian tensor bytes, so a
 * producer can send tensors without JSON. All integers little-endian.
 *
 * <pre>
 * magic      4 bytes   "WIT1"
 * id_len     u16       then id_len bytes of UTF-8 id (may be 0)
 * n_tensors  u8        1..16
 * per tensor:
 *   name_len u8        then name_len bytes of UTF-8 input name
 *   dtype    u8        0 f32, 1 f64, 2 i32, 3 i64, 4 i8, 5 u8
 *   rank     u8        1..8 (Shape.MAX_RANK; a leading 1 counts, so a rank-8 sample is sent without it)
 *   dims     u32 x rank  shape of one sample (a leading 1 is accepted)
 *   data     product(dims) * dtype size bytes
 * </pre>
 *
 * The record must end exactly after the last tensor. Thread-safety: immutable.
 */
@PublicEvolving
public final class BinaryTensorCodec {
    /** {@code "WIT1"}. */
    public static final byte[] MAGIC = {'W', 'I', 'T', '1'};
    private static final DType[] CODES = {DType.F32, DType.F64, DType.I32, DType.I64, DType.I8, DType.U8};

    private final ModelMetadata metadata;

    public BinaryTensorCodec(ModelMetadata metadata) {
        this.metadata = metadata;
    }

    /** Whether {@code value} starts with the binary format's magic. */
    public static boolean isBinary(byte[] value) {
        return value.length >= 4 && value[0] == MAGIC[0] && value[1] == MAGIC[1] && value[2] == MAGIC[2]
                && value[3] == MAGIC[3];
    }

    public Sample decode(byte[] value) {
        ByteBuffer b = ByteBuffer.wrap(value).order(ByteOrder.LITTLE_ENDIAN);
        if (!isBinary(value)) {
            throw new InvalidInputException("binary record does not start with the magic 'WIT1'");
        }
        b.position(4);
        String id = new String(bytes(b, u16(b, "id length"), "id"), StandardCharsets.UTF_8);
        int n = u8(b, "tensor count");
        if (n < 1 || n > 16) {
            throw new InvalidInputException(where(id) + "tensor count " + n + " is outside 1..16");
        }
        Map<String, Tensor> inputs = new HashMap<>();
        for (int t = 0; t < n; t++) {
            String name = new String(bytes(b, u8(b, "name length"), "tensor name"), StandardCharsets.UTF_8);
            TensorSpec spec = metadata.input(name).orElseThrow(() -> new InvalidInputException(where(id)
                    + "model " + metadata.id() + " has no input '" + name + "'; its inputs are " + metadata.inputs()));
            int code = u8(b, "dtype");
            if (code >= CODES.length) {
                throw new InvalidInputException(where(id) + "tensor '" + name + "' has unknown dtype code " + code
                        + " (0 f32, 1 f64, 2 i32, 3 i64, 4 i8, 5 u8)");
            }
            DType dtype = CODES[code];
            if (dtype != spec.dtype()) {
                throw new InvalidInputException(where(id) + "input '" + name + "' has dtype " + dtype
                        + " but the model expects " + spec.dtype());
            }
            int rank = u8(b, "rank");
            if (rank < 1 || rank > Shape.MAX_RANK) {
                throw new InvalidInputException(where(id) + "tensor '" + name + "' has rank " + rank
                        + ", outside 1.." + Shape.MAX_RANK);
            }
            int[] dims = new int[rank];
            long elements = 1;
            for (int d = 0; d < rank; d++) {
                need(b, 4, "dimension");
                long dim = Integer.toUnsignedLong(b.getInt());
                if (dim > Integer.MAX_VALUE) {
                    throw new InvalidInputException(where(id) + "tensor '" + name + "' dimension " + dim
                            + " is too large");
                }
                dims[d] = (int) dim;
                elements = Math.min(Long.MAX_VALUE / 16, elements * dim);
            }
            int[] expected = spec.shape().dims();
            boolean batchOfOne = dims.length == expected.length + 1 && dims[0] == 1
                    && Arrays.equals(Arrays.copyOfRange(dims, 1, dims.length), expected);
            if (!Arrays.equals(dims, expected) && !batchOfOne) {
                throw new InvalidInputException(where(id) + "input '" + name + "' has shape "
                        + Arrays.toString(dims) + " but the model expects " + Arrays.toString(expected));
            }
            byte[] data = bytes(b, (int) (elements * dtype.byteSize()), "data of tensor '" + name + "'");
            checkFinite(dtype, data, id, name);
            if (inputs.put(name, Tensor.wrap(dtype, expected, data)) != null) {
                throw new InvalidInputException(where(id) + "input '" + name + "' appears twice");
            }
        }
        if (b.hasRemaining()) {
            throw new InvalidInputException(where(id) + b.remaining() + " unexpected bytes after the last tensor");
        }
        for (TensorSpec spec : metadata.inputs()) {
            if (!inputs.containsKey(spec.name())) {
                throw new InvalidInputException(where(id) + "input '" + spec.name() + "' (" + spec + ") is missing");
            }
        }
        return new Sample(id, inputs, OptionalInt.empty());
    }

    /** Encodes one sample (used by the {@code produce} tool and tests). */
    public static byte[] encode(String id, Map<String, Tensor> inputs) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(MAGIC);
        byte[] idBytes = id.getBytes(StandardCharsets.UTF_8);
        out.write(idBytes.length & 0xFF);
        out.write(idBytes.length >>> 8);
        out.writeBytes(idBytes);
        out.write(inputs.size());
        for (Map.Entry<String, Tensor> e : inputs.entrySet()) {
            byte[] name = e.getKey().getBytes(StandardCharsets.UTF_8);
            out.write(name.length);
            out.writeBytes(name);
            out.write(Arrays.asList(CODES).indexOf(e.getValue().dtype()));
            int[] shape = e.getValue().shape();
            out.write(shape.length);
            ByteBuffer dims = ByteBuffer.allocate(4 * shape.length).order(ByteOrder.LITTLE_ENDIAN);
            for (int d : shape) {
                dims.putInt(d);
            }
            out.writeBytes(dims.array());
            out.writeBytes(e.getValue().toByteArray());
        }
        return out.toByteArray();
    }

    private static void checkFinite(DType dtype, byte[] data, String id, String name) {
        ByteBuffer b = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
        if (dtype == DType.F32) {
            for (int i = 0; i < data.length; i += 4) {
                if (!Float.isFinite(b.getFloat(i))) {
                    throw new InvalidInputException(where(id) + "input '" + name + "' element " + i / 4
                            + " is NaN or infinite");
                }
            }
        } else if (dtype == DType.F64) {
            for (int i = 0; i < data.length; i += 8) {
                if (!Double.isFinite(b.getDouble(i))) {
                    throw new InvalidInputException(where(id) + "input '" + name + "' element " + i / 8
                            + " is NaN or infinite");
                }
            }
        }
    }

    private static int u8(ByteBuffer b, String what) {
        need(b, 1, what);
        return b.get() & 0xFF;
    }

    private static int u16(ByteBuffer b, String what) {
        need(b, 2, what);
        return b.getShort() & 0xFFFF;
    }

    private static byte[] bytes(ByteBuffer b, int n, String what) {
        need(b, n, what);
        byte[] out = new byte[n];
        b.get(out);
        return out;
    }

    private static void need(ByteBuffer b, long n, String what) {
        if (b.remaining() < n) {
            throw new InvalidInputException("truncated binary record: " + what + " needs " + n + " bytes at offset "
                    + b.position() + ", only " + b.remaining() + " left");
        }
    }

    private static String where(String id) {
        return id.isEmpty() ? "" : "record '" + id + "': ";
    }
}
