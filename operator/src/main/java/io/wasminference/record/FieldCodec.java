package io.wasminference.record;

import io.wasminference.abi.DType;
import io.wasminference.tensor.Tensor;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.types.StringValue;
import org.apache.flink.core.memory.DataOutputView;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Binary encodings of the fields the record serializers share. */
final class FieldCodec {
    private static final DType[] DTYPES = DType.values();

    private FieldCodec() {}

    static void writeNullableString(String s, DataOutputView out) throws IOException {
        out.writeBoolean(s != null);
        if (s != null) {
            StringValue.writeString(s, out);
        }
    }

    static String readNullableString(DataInputView in) throws IOException {
        return in.readBoolean() ? StringValue.readString(in) : null;
    }

    static void writeNullableBytes(byte[] b, DataOutputView out) throws IOException {
        out.writeInt(b == null ? -1 : b.length);
        if (b != null) {
            out.write(b);
        }
    }

    static byte[] readNullableBytes(DataInputView in) throws IOException {
        int n = in.readInt();
        if (n < 0) {
            return null;
        }
        byte[] b = new byte[n];
        in.readFully(b);
        return b;
    }

    static void writeHeaders(List<Header> headers, DataOutputView out) throws IOException {
        out.writeInt(headers.size());
        for (Header h : headers) {
            StringValue.writeString(h.name(), out);
            writeNullableBytes(h.rawValue(), out);
        }
    }

    static List<Header> readHeaders(DataInputView in) throws IOException {
        int n = in.readInt();
        List<Header> headers = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            headers.add(new Header(StringValue.readString(in), readNullableBytes(in)));
        }
        return headers;
    }

    static void writeTensor(Tensor t, DataOutputView out) throws IOException {
        out.writeByte(t.dtype().ordinal());
        int[] shape = t.shape();
        out.writeByte(shape.length);
        for (int d : shape) {
            out.writeInt(d);
        }
        byte[] data = t.toByteArray();
        out.writeInt(data.length);
        out.write(data);
    }

    static Tensor readTensor(DataInputView in) throws IOException {
        DType dtype = DTYPES[in.readByte()];
        int[] shape = new int[in.readByte()];
        for (int i = 0; i < shape.length; i++) {
            shape[i] = in.readInt();
        }
        byte[] data = new byte[in.readInt()];
        in.readFully(data);
        return Tensor.wrap(dtype, shape, data);
    }

    /** Written in name order so equal maps serialize to equal bytes. */
    static void writeTensors(Map<String, Tensor> tensors, DataOutputView out) throws IOException {
        out.writeInt(tensors.size());
        for (Map.Entry<String, Tensor> e : new TreeMap<>(tensors).entrySet()) {
            StringValue.writeString(e.getKey(), out);
            writeTensor(e.getValue(), out);
        }
    }

    static Map<String, Tensor> readTensors(DataInputView in) throws IOException {
        int n = in.readInt();
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
            tensors.put(StringValue.readString(in), readTensor(in));
        }
        return tensors;
    }
}
