package io.wasminference.sql;

import io.wasminference.abi.DType;
import io.wasminference.abi.ModelMetadata;
import io.wasminference.abi.TensorSpec;
import io.wasminference.record.ClassScore;
import io.wasminference.tensor.Tensor;

import org.apache.flink.table.data.ArrayData;
import org.apache.flink.table.data.GenericArrayData;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.StringData;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Rows to the module's input tensors and output tensors to rows, as {@link PredictSchema} maps them. */
final class RowCodec {
    private final PredictSchema schema;
    private final ModelMetadata meta;
    private final String version;

    RowCodec(PredictSchema schema, ModelMetadata meta, String sha256) {
        this.schema = schema;
        this.meta = meta;
        this.version = meta.name() + ":" + meta.version() + ":" + sha256;
    }

    /** A row the model cannot take, with the reason. */
    static final class BadRow extends Exception {
        private static final long serialVersionUID = 1L;

        BadRow(String message) {
            super(message, null, false, false);
        }
    }

    /** One sample's inputs by module input name. */
    Map<String, Tensor> decode(RowData row) throws BadRow {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (PredictSchema.InputBinding b : schema.inputs()) {
            TensorSpec spec = meta.inputs().get(b.moduleInput());
            if (row.isNullAt(b.column())) {
                throw new BadRow("column " + b.columnName() + " is NULL");
            }
            int n = (int) spec.shape().elementCount();
            int[] shape = spec.shape().dims();
            if (b.bytes()) {
                byte[] raw = row.getBinary(b.column());
                if (raw.length != spec.sampleBytes()) {
                    throw new BadRow("column " + b.columnName() + " has " + raw.length + " bytes; input " + spec
                            + " takes " + spec.sampleBytes() + " (raw little-endian)");
                }
                out.put(spec.name(), Tensor.wrap(spec.dtype(), shape, raw.clone()));
                continue;
            }
            ArrayData a = row.getArray(b.column());
            if (a.size() != n) {
                throw new BadRow("column " + b.columnName() + " has " + a.size() + " values; input " + spec
                        + " takes " + n);
            }
            ByteBuffer buf = ByteBuffer.allocate(n * spec.dtype().byteSize()).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < n; i++) {
                if (a.isNullAt(i)) {
                    throw new BadRow("column " + b.columnName() + " value " + i + " is NULL");
                }
                put(buf, spec.dtype(), b, a, i);
            }
            out.put(spec.name(), Tensor.wrap(spec.dtype(), shape, buf.array()));
        }
        return out;
    }

    private static void put(ByteBuffer buf, DType dt, PredictSchema.InputBinding b, ArrayData a, int i) throws BadRow {
        switch (b.element()) {
            case FLOAT, DOUBLE -> {
                double v = b.element() == org.apache.flink.table.types.logical.LogicalTypeRoot.FLOAT ? a.getFloat(i)
                        : a.getDouble(i);
                switch (dt) {
                    case F32 -> buf.putFloat((float) v);
                    case F64 -> buf.putDouble(v);
                    default -> putInteger(buf, dt, integral(v, b, i), b, i);
                }
            }
            default -> {
                long v = switch (b.element()) {
                    case TINYINT -> a.getByte(i);
                    case SMALLINT -> a.getShort(i);
                    case INTEGER -> a.getInt(i);
                    default -> a.getLong(i);
                };
                switch (dt) {
                    case F32 -> buf.putFloat((float) v);
                    case F64 -> buf.putDouble(v);
                    default -> putInteger(buf, dt, v, b, i);
                }
            }
        }
    }

    private static long integral(double v, PredictSchema.InputBinding b, int i) throws BadRow {
        if (v != Math.rint(v) || Double.isInfinite(v)) {
            throw new BadRow("column " + b.columnName() + " value " + i + " is " + v + ", not an integer");
        }
        return (long) v;
    }

    private static void putInteger(ByteBuffer buf, DType dt, long v, PredictSchema.InputBinding b, int i)
            throws BadRow {
        long lo = switch (dt) {
            case U8 -> 0;
            case I8 -> Byte.MIN_VALUE;
            case I32 -> Integer.MIN_VALUE;
            default -> Long.MIN_VALUE;
        };
        long hi = switch (dt) {
            case U8 -> 255;
            case I8 -> Byte.MAX_VALUE;
            case I32 -> Integer.MAX_VALUE;
            default -> Long.MAX_VALUE;
        };
        if (v < lo || v > hi) {
            throw new BadRow("column " + b.columnName() + " value " + i + " is " + v + ", outside " + dt + "'s "
                    + lo + ".." + hi);
        }
        switch (dt) {
            case U8, I8 -> buf.put((byte) v);
            case I32 -> buf.putInt((int) v);
            default -> buf.putLong(v);
        }
    }

    /**
     * The output row of one sample the model answered: its outputs by name (one sample, no batch dimension) and,
     * for a classifier, its best class first (from the {@link io.wasminference.predict.Predictor}).
     */
    RowData encode(Map<String, Tensor> outputs, List<ClassScore> top) {
        GenericRowData r = new GenericRowData(schema.outputs().size());
        for (PredictSchema.OutputBinding b : schema.outputs()) {
            if (b.derived() == null) {
                r.setField(b.column(), array(outputs.get(meta.outputs().get(b.moduleOutput()).name()), b));
                continue;
            }
            r.setField(b.column(), switch (b.derived()) {
                case LABEL -> b.scalar() == org.apache.flink.table.types.logical.LogicalTypeRoot.BIGINT
                        ? (Object) (long) top.get(0).index() : (Object) top.get(0).index();
                case LABEL_NAME -> StringData.fromString(top.get(0).label());
                case SCORE -> b.scalar() == org.apache.flink.table.types.logical.LogicalTypeRoot.DOUBLE
                        ? (Object) (double) top.get(0).probability() : (Object) top.get(0).probability();
                case MODEL_VERSION -> StringData.fromString(version);
                case ERROR -> null;
            });
        }
        return r;
    }

    /** The output row of a sample the model could not answer: NULL outputs, the reason in {@code error}. */
    RowData failed(String reason) {
        GenericRowData r = new GenericRowData(schema.outputs().size());
        for (PredictSchema.OutputBinding b : schema.outputs()) {
            if (b.derived() == PredictSchema.Derived.ERROR) {
                r.setField(b.column(), StringData.fromString(reason));
            } else if (b.derived() == PredictSchema.Derived.MODEL_VERSION) {
                r.setField(b.column(), StringData.fromString(version));
            }
        }
        return r;
    }

    private static ArrayData array(Tensor t, PredictSchema.OutputBinding b) {
        return switch (b.element()) {
            case FLOAT -> new GenericArrayData(t.toFloats());
            case DOUBLE -> new GenericArrayData(t.toDoubles());
            case BIGINT -> new GenericArrayData(t.toLongs());
            default -> {
                long[] l = t.toLongs();
                int[] i = new int[l.length];
                for (int k = 0; k < l.length; k++) {
                    i[k] = (int) l[k];
                }
                yield new GenericArrayData(i);
            }
        };
    }
}
