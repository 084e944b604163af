package io.wasminference.compiler;

import ai.onnx.proto.OnnxMl;
import io.wasminference.abi.DType;
import io.wasminference.abi.ModelMetadata;
import io.wasminference.compiler.graph.ConstTensor;
import io.wasminference.compiler.graph.ElemType;
import io.wasminference.compiler.onnx.OnnxImporter;
import io.wasminference.compiler.ops.OpRegistry;
import io.wasminference.runtime.ModelInstance;
import io.wasminference.runtime.SandboxLimits;
import io.wasminference.runtime.WasmModel;
import io.wasminference.tensor.Tensor;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * ONNX's own single-node conformance cases (Debian package libonnx-testdata, {@code node/test_*}): every case
 * whose nodes all use supported operators either matches the reference outputs or is refused at compile time
 * and listed, with the reason, in {@code conformance-refusals.txt}. A refused case is never run; a listed case
 * that compiles fails the test, so the list stays true.
 *
 * <p>Each case is compiled without a batch axis (the whole tensors are one sample). Inputs the compiler needs
 * as constants (weights, shapes, axes, indices, bounds: every input but the data inputs of elementwise, matrix
 * and data-movement ops) are bound as initializers from the case's input files.
 */
@Timeout(600)
@Execution(ExecutionMode.CONCURRENT)
class OnnxConformanceTest {
    static final Path NODE_TESTS = Path.of("/usr/share/libonnx-testdata/data/node");
    /** Relative tolerance for float outputs, and the absolute floor for values near zero. */
    static final double RTOL = 1e-5;
    static final double ATOL = 1e-6;

    /** Ops whose inputs beyond the first are data (stay model inputs); for the rest they are bound. */
    static final Set<String> ALL_INPUTS_DATA = Set.of("Add", "Sub", "Mul", "Div", "Pow", "Max", "Min", "Sum",
            "MatMul", "Concat", "Gemm");

    record Case(String name, Path dir, List<String> ops) {}

    static List<Case> cases() {
        if (!Files.isDirectory(NODE_TESTS)) {
            fail("ONNX conformance data missing: apt-get install libonnx-testdata (expected " + NODE_TESTS + ")");
        }
        List<Case> out = new ArrayList<>();
        try (Stream<Path> dirs = Files.list(NODE_TESTS)) {
            for (Path d : dirs.sorted().toList()) {
                Path model = d.resolve("model.onnx");
                if (!Files.exists(model)) {
                    continue;
                }
                OnnxMl.ModelProto m = OnnxMl.ModelProto.parseFrom(Files.readAllBytes(model));
                List<String> ops = m.getGraph().getNodeList().stream().map(OnnxMl.NodeProto::getOpType).toList();
                // fold-only ops (Equal, Where, Range...) run on the data in these cases, where they are refused by
                // design; their compile-time use is covered by the PyTorch model zoo
                boolean runtimeOps = ops.stream().allMatch(op -> op.equals("Constant")
                        || OpRegistry.supported().contains(op) && !OpRegistry.foldOnly().contains(op));
                if (runtimeOps) {
                    out.add(new Case(d.getFileName().toString(), d, ops));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    static Map<String, String> refusals() throws IOException {
        Map<String, String> out = new TreeMap<>();
        try (var in = OnnxConformanceTest.class.getResourceAsStream("/conformance-refusals.txt")) {
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                line = line.strip();
                if (line.isEmpty() || line.startsWith("#")) {
                    continue;
                }
                int sp = line.indexOf(' ');
                out.put(sp < 0 ? line : line.substring(0, sp), sp < 0 ? "" : line.substring(sp + 1).strip());
            }
        }
        return out;
    }

    @Test
    void everySupportedOperatorHasConformanceCasesThatRun() throws IOException {
        List<Case> all = cases();
        Map<String, String> refused = refusals();
        Set<String> covered = new java.util.TreeSet<>();
        for (Case c : all) {
            if (!refused.containsKey(c.name())) {
                covered.addAll(c.ops());
            }
        }
        // Shape is missing on purpose: its result is always known at compile time, so its cases' outputs are
        // constants (refused); Shape chains are covered by the PyTorch and Paddle models
        assertThat(covered).contains("Conv", "Gemm", "MatMul", "Add", "Sub", "Mul", "Div", "Relu", "LeakyRelu",
                "Clip", "Sigmoid", "HardSigmoid", "HardSwish", "Tanh", "Softmax", "MaxPool", "AveragePool",
                "GlobalAveragePool", "BatchNormalization", "Reshape", "Flatten", "Transpose", "Concat", "Slice",
                "Pad", "Squeeze", "Unsqueeze", "Identity", "Cast", "Gather");
        for (String name : refused.keySet()) {
            assertThat(all.stream().anyMatch(c -> c.name().equals(name)))
                    .as("refusal list names %s, which is not a case of a supported op", name).isTrue();
        }
    }

    @TestFactory
    Stream<DynamicTest> conformance() throws IOException {
        Map<String, String> refused = refusals();
        return cases().stream().map(c -> DynamicTest.dynamicTest(c.name(), () -> run(c, refused.get(c.name()))));
    }

    /** A case's model with its constant inputs bound, the inputs it is fed, and the reference outputs. */
    record Prepared(byte[] onnx, List<ConstTensor> fed, List<ConstTensor> expected) {}

    static Prepared prepare(OnnxMl.ModelProto model, Path set) throws IOException {
        List<ConstTensor> inputs = tensors(set, "input_");
        List<ConstTensor> expected = tensors(set, "output_");
        OnnxMl.GraphProto g = model.getGraph();
        String op = g.getNode(0).getOpType();
        Map<String, ConstTensor> bound = new LinkedHashMap<>();
        List<ConstTensor> fed = new ArrayList<>();
        for (int i = 0; i < g.getInputCount(); i++) {
            String name = g.getInput(i).getName();
            if (g.getInitializerList().stream().anyMatch(t -> t.getName().equals(name))) {
                continue;
            }
            ConstTensor t = inputs.get(i);
            boolean data = i == 0 || ALL_INPUTS_DATA.contains(op) && t.type() == ElemType.FLOAT;
            if (data) {
                fed.add(t);
            } else {
                bound.put(name, t);
            }
        }
        return new Prepared(bind(model, bound), fed, expected);
    }

    static void run(Case c, String refusal) throws Exception {
        OnnxMl.ModelProto model = OnnxMl.ModelProto.parseFrom(Files.readAllBytes(c.dir().resolve("model.onnx")));
        List<Path> sets;
        try (Stream<Path> s = Files.list(c.dir())) {
            sets = s.filter(p -> p.getFileName().toString().startsWith("test_data_set_")).sorted().toList();
        }
        for (Path set : sets) {
            Prepared p;
            CompiledModel compiled;
            try {
                p = prepare(model, set);
                compiled = OnnxCompiler.compile(p.onnx(), CompileOptions.builder().name("case").maxBatch(1)
                        .batchAxis(false).rejectNonFinite(false).build());
            } catch (UnsupportedModelException e) {
                if (refusal != null) {
                    return; // refused as listed
                }
                throw new AssertionError(c.name() + " was refused but is not in conformance-refusals.txt: "
                        + e.getMessage(), e);
            }
            if (refusal != null) {
                fail(c.name() + " compiles now; remove it from conformance-refusals.txt (" + refusal + ")");
            }
            try (WasmModel wasm = WasmModel.load(compiled.wasm(), SandboxLimits.defaults());
                    ModelInstance instance = wasm.newInstance()) {
                ModelMetadata meta = wasm.metadata();
                List<Tensor> in = new ArrayList<>();
                for (int i = 0; i < p.fed().size(); i++) {
                    in.add(toAbi(p.fed().get(i), meta.inputs().get(i).dtype()));
                }
                List<Tensor> out = instance.run(in);
                for (int o = 0; o < p.expected().size(); o++) {
                    compare(c.name() + " output " + o, p.expected().get(o), out.get(o));
                }
            }
        }
    }

    /** The model with the given inputs turned into initializers. */
    static byte[] bind(OnnxMl.ModelProto model, Map<String, ConstTensor> bound) {
        if (bound.isEmpty()) {
            return model.toByteArray();
        }
        OnnxMl.GraphProto.Builder g = model.getGraph().toBuilder();
        List<OnnxMl.ValueInfoProto> keep = new ArrayList<>();
        for (OnnxMl.ValueInfoProto vi : g.getInputList()) {
            if (!bound.containsKey(vi.getName())) {
                keep.add(vi);
            }
        }
        g.clearInput().addAllInput(keep);
        for (Map.Entry<String, ConstTensor> e : bound.entrySet()) {
            g.addInitializer(proto(e.getKey(), e.getValue()));
        }
        return model.toBuilder().setGraph(g).build().toByteArray();
    }

    static OnnxMl.TensorProto proto(String name, ConstTensor t) {
        OnnxMl.TensorProto.Builder b = OnnxMl.TensorProto.newBuilder().setName(name)
                .setDataType(t.type().onnxCode());
        for (int d : t.shape()) {
            b.addDims(d);
        }
        switch (t.type()) {
            case FLOAT -> {
                for (float f : t.floats()) {
                    b.addFloatData(f);
                }
            }
            case DOUBLE -> {
                for (double d : t.doubles()) {
                    b.addDoubleData(d);
                }
            }
            case INT64 -> {
                for (long l : t.longs()) {
                    b.addInt64Data(l);
                }
            }
            case UINT32, UINT64 -> {
                for (long l : t.longs()) {
                    b.addUint64Data(l);
                }
            }
            case FLOAT16, BFLOAT16 -> {
                for (float f : t.floats()) {
                    b.addInt32Data(t.type() == ElemType.FLOAT16 ? toHalf(f) : Float.floatToIntBits(f) >>> 16);
                }
            }
            default -> {
                for (long l : t.longs()) {
                    b.addInt32Data((int) l);
                }
            }
        }
        return b.build();
    }

    /** float to IEEE binary16 bits, for values that came from binary16 (exact: no rounding needed). */
    static int toHalf(float f) {
        int bits = Float.floatToIntBits(f);
        int sign = (bits >>> 16) & 0x8000;
        int exp = ((bits >>> 23) & 0xFF) - 127 + 15;
        int mant = bits & 0x7FFFFF;
        if (((bits >>> 23) & 0xFF) == 0xFF) {
            return sign | 0x7C00 | (mant != 0 ? 0x200 : 0);
        }
        if (exp <= 0) {
            return sign | (int) Math.round(Math.abs(f) / 0x1p-24);
        }
        return sign | exp << 10 | mant >>> 13;
    }

    static List<ConstTensor> tensors(Path set, String prefix) throws IOException {
        List<ConstTensor> out = new ArrayList<>();
        for (int i = 0; ; i++) {
            Path p = set.resolve(prefix + i + ".pb");
            if (!Files.exists(p)) {
                break;
            }
            out.add(OnnxImporter.tensor(OnnxMl.TensorProto.parseFrom(Files.readAllBytes(p)), p.toString()));
        }
        return out;
    }

    static Tensor toAbi(ConstTensor t, DType dtype) {
        ByteBuffer b = ByteBuffer.allocate(t.size() * dtype.byteSize()).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < t.size(); i++) {
            switch (dtype) {
                case F32 -> b.putFloat(t.floatAt(i));
                case F64 -> b.putDouble(t.doubleAt(i));
                case I32 -> b.putInt((int) t.longAt(i));
                case I64 -> b.putLong(t.longAt(i));
                case I8, U8 -> b.put((byte) t.longAt(i));
            }
        }
        int[] shape = t.shape().length == 0 ? new int[] {1} : t.shape();
        return Tensor.wrap(dtype, Stream.concat(Stream.of(1), java.util.Arrays.stream(shape).boxed())
                .mapToInt(Integer::intValue).toArray(), b.array());
    }

    static void compare(String what, ConstTensor expected, Tensor actual) {
        double[] a = actual.toDoubles();
        assertThat(a.length).as(what + " size").isEqualTo(expected.size());
        for (int i = 0; i < a.length; i++) {
            double e = expected.doubleAt(i);
            if (Double.isNaN(e)) {
                assertThat(a[i]).as(what + "[" + i + "]").isNaN();
                continue;
            }
            double tol = expected.type() == ElemType.FLOAT || expected.type() == ElemType.DOUBLE
                    ? ATOL + RTOL * Math.abs(e) : 0;
            if (!(Math.abs(a[i] - e) <= tol) && !(Double.isInfinite(e) && a[i] == e)) {
                fail(what + "[" + i + "] = " + a[i] + ", expected " + e + " (tolerance " + tol + ")");
            }
        }
    }
}
