package io.wasminference.sql;

import io.wasminference.abi.DType;
import io.wasminference.abi.ModelKind;
import io.wasminference.abi.ModelMetadata;
import io.wasminference.abi.TensorSpec;
import io.wasminference.errors.ModelRefusedException;

import org.apache.flink.table.catalog.Column;
import org.apache.flink.table.catalog.ResolvedSchema;
import org.apache.flink.table.types.logical.ArrayType;
import org.apache.flink.table.types.logical.LogicalType;
import org.apache.flink.table.types.logical.LogicalTypeRoot;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * How the columns a {@code CREATE MODEL} declares map onto the module's inputs and outputs, checked against the
 * module's metadata when the model is planned. Inputs map by name when every column is named after a module
 * input, else by position; each is {@code ARRAY<FLOAT|DOUBLE|INT|BIGINT|SMALLINT|TINYINT>} with one value per
 * element of a sample, or {@code BYTES} holding the raw little-endian sample. Outputs are the module's tensors
 * (by name, else the remaining ones by position) as arrays, plus the convenience columns {@code label INT},
 * {@code label_name STRING}, {@code score FLOAT|DOUBLE} (classifiers), {@code model_version STRING} and
 * {@code error STRING}.
 */
record PredictSchema(List<InputBinding> inputs, List<OutputBinding> outputs) implements Serializable {

    /** Convenience output columns, by their reserved names. */
    enum Derived { LABEL, LABEL_NAME, SCORE, MODEL_VERSION, ERROR }

    /** Column {@code column} of the input row feeds module input {@code moduleInput}. */
    record InputBinding(int column, String columnName, int moduleInput, boolean bytes, LogicalTypeRoot element)
            implements Serializable {}

    /**
     * Output column {@code column}: module output {@code moduleOutput} as an array of {@code element}, or a derived
     * value ({@code derived} not null) of type {@code scalar}.
     */
    record OutputBinding(int column, String columnName, int moduleOutput, LogicalTypeRoot element, Derived derived,
                         LogicalTypeRoot scalar) implements Serializable {}

    private static final Set<LogicalTypeRoot> NUMBERS = Set.of(LogicalTypeRoot.FLOAT, LogicalTypeRoot.DOUBLE,
            LogicalTypeRoot.INTEGER, LogicalTypeRoot.BIGINT, LogicalTypeRoot.SMALLINT, LogicalTypeRoot.TINYINT);

    /**
     * @throws ModelRefusedException showing the declared schema and the module's when they do not fit
     */
    static PredictSchema of(ResolvedSchema input, ResolvedSchema output, ModelMetadata meta) {
        List<Column> in = physical(input, "INPUT");
        List<Column> out = physical(output, "OUTPUT");
        List<TensorSpec> mi = meta.inputs();
        boolean byName = in.stream().allMatch(c -> meta.input(c.getName()).isPresent()) && in.size() == mi.size();
        if (!byName && in.size() != mi.size()) {
            throw mismatch("declares " + in.size() + " input column(s), the module takes " + mi.size()
                    + " input(s) (columns map by name when each is named after a module input, else by position)",
                    input, output, meta);
        }
        List<InputBinding> inputs = new ArrayList<>();
        for (int i = 0; i < in.size(); i++) {
            Column c = in.get(i);
            int m = byName ? mi.indexOf(meta.input(c.getName()).orElseThrow()) : i;
            LogicalType t = c.getDataType().getLogicalType();
            if (t.getTypeRoot() == LogicalTypeRoot.VARBINARY || t.getTypeRoot() == LogicalTypeRoot.BINARY) {
                inputs.add(new InputBinding(i, c.getName(), m, true, null));
            } else if (t instanceof ArrayType a && NUMBERS.contains(a.getElementType().getTypeRoot())) {
                inputs.add(new InputBinding(i, c.getName(), m, false, a.getElementType().getTypeRoot()));
            } else {
                throw mismatch("input column " + c.getName() + " is " + t + "; an input is ARRAY<FLOAT|DOUBLE|INT|"
                        + "BIGINT|SMALLINT|TINYINT> (one value per element of " + mi.get(m) + ") or BYTES (raw "
                        + "little-endian)", input, output, meta);
            }
        }
        List<OutputBinding> outputs = new ArrayList<>();
        List<Integer> unnamed = new ArrayList<>();
        boolean[] taken = new boolean[meta.outputs().size()];
        for (int i = 0; i < out.size(); i++) {
            Column c = out.get(i);
            LogicalType t = c.getDataType().getLogicalType();
            int m = indexOf(meta.outputs(), c.getName());
            Derived d = derived(c.getName());
            if (m >= 0) {
                outputs.add(tensor(i, c, t, m, input, output, meta));
                taken[m] = true;
            } else if (d != null) {
                outputs.add(derivedColumn(i, c, t, d, input, output, meta));
            } else {
                unnamed.add(i);
                outputs.add(null);
            }
        }
        int next = 0;
        for (int i : unnamed) {
            while (next < taken.length && taken[next]) {
                next++;
            }
            Column c = out.get(i);
            if (next >= taken.length) {
                throw mismatch("output column " + c.getName() + " matches no module output (by name or position) and "
                        + "is none of label, label_name, score, model_version, error", input, output, meta);
            }
            outputs.set(i, tensor(i, c, c.getDataType().getLogicalType(), next, input, output, meta));
            taken[next] = true;
        }
        return new PredictSchema(List.copyOf(inputs), List.copyOf(outputs));
    }

    private static List<Column> physical(ResolvedSchema s, String what) {
        for (Column c : s.getColumns()) {
            if (!c.isPhysical()) {
                throw new ModelRefusedException(what + " column " + c.getName() + " is not a physical column");
            }
        }
        return s.getColumns();
    }

    private static int indexOf(List<TensorSpec> specs, String name) {
        for (int i = 0; i < specs.size(); i++) {
            if (specs.get(i).name().equals(name)) {
                return i;
            }
        }
        return -1;
    }

    private static Derived derived(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "label" -> Derived.LABEL;
            case "label_name" -> Derived.LABEL_NAME;
            case "score" -> Derived.SCORE;
            case "model_version" -> Derived.MODEL_VERSION;
            case "error" -> Derived.ERROR;
            default -> null;
        };
    }

    private static OutputBinding tensor(int i, Column c, LogicalType t, int m, ResolvedSchema input,
                                        ResolvedSchema output, ModelMetadata meta) {
        if (!(t instanceof ArrayType a) || !Set.of(LogicalTypeRoot.FLOAT, LogicalTypeRoot.DOUBLE,
                LogicalTypeRoot.INTEGER, LogicalTypeRoot.BIGINT).contains(a.getElementType().getTypeRoot())) {
            throw mismatch("output column " + c.getName() + " is " + t + "; the module's output "
                    + meta.outputs().get(m) + " is returned as ARRAY<FLOAT|DOUBLE|INT|BIGINT>", input, output, meta);
        }
        DType dt = meta.outputs().get(m).dtype();
        LogicalTypeRoot e = a.getElementType().getTypeRoot();
        boolean lossy = (dt == DType.F32 || dt == DType.F64) && (e == LogicalTypeRoot.INTEGER || e == LogicalTypeRoot.BIGINT)
                || dt == DType.I64 && e != LogicalTypeRoot.BIGINT && e != LogicalTypeRoot.DOUBLE
                || dt == DType.F64 && e == LogicalTypeRoot.FLOAT;
        if (lossy) {
            throw mismatch("output column " + c.getName() + " is " + t + " but the module's output "
                    + meta.outputs().get(m) + " does not fit it without loss", input, output, meta);
        }
        return new OutputBinding(i, c.getName(), m, e, null, null);
    }

    private static OutputBinding derivedColumn(int i, Column c, LogicalType t, Derived d, ResolvedSchema input,
                                               ResolvedSchema output, ModelMetadata meta) {
        LogicalTypeRoot r = t.getTypeRoot();
        boolean ok = switch (d) {
            case LABEL -> r == LogicalTypeRoot.INTEGER || r == LogicalTypeRoot.BIGINT;
            case SCORE -> r == LogicalTypeRoot.FLOAT || r == LogicalTypeRoot.DOUBLE;
            default -> r == LogicalTypeRoot.VARCHAR || r == LogicalTypeRoot.CHAR;
        };
        if (!ok) {
            throw mismatch("output column " + c.getName() + " is " + t + "; " + switch (d) {
                case LABEL -> "label is INT or BIGINT";
                case SCORE -> "score is FLOAT or DOUBLE";
                default -> c.getName() + " is STRING";
            }, input, output, meta);
        }
        if ((d == Derived.LABEL || d == Derived.LABEL_NAME || d == Derived.SCORE) && meta.kind() != ModelKind.CLASSIFIER) {
            throw mismatch("output column " + c.getName() + " needs a classifier, and " + meta.id() + " is "
                    + meta.kind().name().toLowerCase(Locale.ROOT), input, output, meta);
        }
        return new OutputBinding(i, c.getName(), -1, null, d, r);
    }

    private static ModelRefusedException mismatch(String what, ResolvedSchema input, ResolvedSchema output,
                                                  ModelMetadata meta) {
        return new ModelRefusedException("the model's declared schema does not fit module " + meta.id() + ": " + what
                + ".\n  declared INPUT (" + columns(input) + ") OUTPUT (" + columns(output) + ")\n  module   inputs "
                + meta.inputs().stream().map(TensorSpec::toString).collect(Collectors.joining(", ")) + "; outputs "
                + meta.outputs().stream().map(TensorSpec::toString).collect(Collectors.joining(", ")) + "; kind "
                + meta.kind().name().toLowerCase(Locale.ROOT));
    }

    private static String columns(ResolvedSchema s) {
        return s.getColumns().stream().map(c -> c.getName() + " " + c.getDataType().getLogicalType())
                .collect(Collectors.joining(", "));
    }

    /** Whether the model declares an error column. */
    boolean hasErrorColumn() {
        return outputs.stream().anyMatch(o -> o.derived() == Derived.ERROR);
    }
}
