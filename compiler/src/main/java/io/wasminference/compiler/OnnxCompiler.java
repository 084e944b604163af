package io.wasminference.compiler;

import org.apache.flink.annotation.PublicEvolving;
import io.wasminference.abi.DType;
import io.wasminference.abi.MemoryPlan;
import io.wasminference.abi.ModelKind;
import io.wasminference.abi.ModelMetadata;
import io.wasminference.abi.ModuleValidator;
import io.wasminference.abi.WasmBinary;
import io.wasminference.compiler.graph.ElemType;
import io.wasminference.compiler.graph.Graph;
import io.wasminference.compiler.graph.Value;
import io.wasminference.compiler.lower.Lowerer;
import io.wasminference.compiler.lower.ModelInterface;
import io.wasminference.compiler.lower.PlanEncoder;
import io.wasminference.compiler.onnx.OnnxImporter;
import io.wasminference.compiler.passes.BatchCheck;
import io.wasminference.compiler.passes.Fusion;
import io.wasminference.compiler.passes.InputBinding;
import io.wasminference.compiler.passes.ShapeInference;
import io.wasminference.compiler.wasm.MetadataText;
import io.wasminference.compiler.wasm.RuntimeModule;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Compiles an ONNX model into an ABI v1 wasm module, on the JDK alone.
 *
 * <p>The pipeline: read the protobuf; bind the inputs' shapes (batch dimension 1); infer shapes and fold
 * constants (Shape/Gather/Concat/Reshape chains, weight arithmetic); check whether the graph may run several
 * samples per pass (the same inference at batch 2 must agree); fuse (BatchNormalization into Conv/Gemm,
 * activations into their producers, hard-swish, biases, input scaling); lower each node to kernels of the
 * prebuilt graph runtime with resolved shapes, weight layouts and buffer addresses (arena with liveness-based
 * reuse); write plan and weights as a data segment into the runtime; attach the metadata. The result is checked
 * by the same {@link ModuleValidator} every model goes through.
 *
 * <p>Thread-safe: every call works on its own data.
 */
@PublicEvolving
public final class OnnxCompiler {

    private OnnxCompiler() {}

    /**
     * @throws UnsupportedModelException when the model uses something outside the supported set, naming the node,
     *     op and attribute
     */
    public static CompiledModel compile(byte[] onnx, CompileOptions options) {
        long start = System.nanoTime();
        OnnxImporter.ImportedModel m1 = OnnxImporter.read(onnx);
        Graph g = m1.graph();
        InputBinding.bind(g, m1.inputs(), options, 1);
        int nodesIn = g.nodes().size();
        int folded = ShapeInference.run(g);

        String perSample = null;
        if (options.batchAxis()) {
            OnnxImporter.ImportedModel m2 = OnnxImporter.read(onnx);
            InputBinding.bind(m2.graph(), m2.inputs(), options, 2);
            ShapeInference.run(m2.graph());
            checkOutputsBatched(g, m2.graph());
            perSample = BatchCheck.whyNotSeparable(g, m2.graph()).orElse(null);
        }
        int chunk = perSample == null ? options.maxBatch() : 1;

        Fusion.Counts fusion = Fusion.run(g);
        ModelInterface iface = modelInterface(g, m1, options);
        ModelKind kind = options.kind() != null ? options.kind()
                : options.labels().isEmpty() ? ModelKind.GENERIC : ModelKind.CLASSIFIER;
        Lowerer.Lowered lowered = Lowerer.lower(g, iface, chunk);
        RuntimeModule runtime = RuntimeModule.bundled();
        List<DType> inputTypes = iface.inputs().stream().map(ModelInterface.Io::dtype).toList();
        PlanEncoder.Encoded plan = PlanEncoder.encode(lowered, runtime.heapBase(), options.maxBatch(), chunk,
                options.rejectNonFinite(), inputTypes);
        long pages = (plan.memoryEnd() + MemoryPlan.PAGE_BYTES - 1) / MemoryPlan.PAGE_BYTES;
        byte[] wasm = runtime.withPlan(plan.base(), plan.segment(), pages);
        String meta = MetadataText.of(options.name(), options.version(), options.maxBatch(), kind, options.labels(),
                options.description() != null ? options.description() : describe(m1), iface);
        wasm = WasmBinary.withCustomSection(wasm, WasmBinary.METADATA_SECTION, meta.getBytes(StandardCharsets.UTF_8));
        ModuleValidator.ValidatedModule validated = ModuleValidator.validate(wasm, Math.max(pages, 1));
        ModelMetadata metadata = validated.metadata();
        CompileReport report = new CompileReport(nodesIn, g.nodes().size(), folded, fusion.batchNormsFolded(),
                fusion.activationsFused(), fusion.other(), plan.opCount(), plan.weightBytes(), plan.arenaBytes(),
                plan.ioBytes(), pages * MemoryPlan.PAGE_BYTES, chunk, Optional.ofNullable(perSample),
                m1.producer(), m1.opset(), (System.nanoTime() - start) / 1_000_000,
                lowered.describe());
        return new CompiledModel(wasm, metadata, report);
    }

    private static String describe(OnnxImporter.ImportedModel m) {
        return "compiled from ONNX" + (m.producer().isBlank() ? "" : " (" + m.producer() + ")") + ", opset "
                + m.opset();
    }

    private static void checkOutputsBatched(Graph one, Graph two) {
        for (int i = 0; i < one.outputs().size(); i++) {
            int[] a = one.outputs().get(i).shape();
            int[] b = two.outputs().get(i).shape();
            boolean restSame = a.length == b.length
                    && java.util.Arrays.equals(java.util.Arrays.copyOfRange(a, 1, a.length),
                            java.util.Arrays.copyOfRange(b, 1, b.length));
            if (a.length == 0 || a[0] != 1 || b[0] != 2 || !restSame) {
                throw new UnsupportedModelException("output '" + one.outputs().get(i).name() + "' has shape "
                        + java.util.Arrays.toString(a) + " at batch 1 and " + java.util.Arrays.toString(b)
                        + " at batch 2: it is not one row per sample (its first dimension must be the batch and the rest must not "
                        + "depend on it). Compile with --no-batch-axis to take "
                        + "the whole tensors as one sample");
            }
        }
    }

    private static ModelInterface modelInterface(Graph g, OnnxImporter.ImportedModel m, CompileOptions o) {
        Set<String> names = new HashSet<>();
        List<ModelInterface.Io> inputs = new ArrayList<>();
        for (int i = 0; i < g.inputs().size(); i++) {
            Value v = g.inputs().get(i);
            InputOptions io = o.inputs().get(m.inputs().get(i).name());
            DType model = v.type().abiType().orElseThrow(() -> new UnsupportedModelException("input '" + v.name()
                    + "' has type " + v.type() + ", which ABI v1 records cannot carry"));
            DType dtype = io != null && io.dtype() != null ? io.dtype() : model;
            if (dtype != model && v.type() != ElemType.FLOAT) {
                throw new UnsupportedModelException("input '" + v.name() + "' is " + v.type() + "; only a float "
                        + "input can be given another record type");
            }
            inputs.add(new ModelInterface.Io(abiName(v.name(), names), dtype, sample(v, o.batchAxis()), v,
                    io == null ? null : io.scale(), io == null ? null : io.shift()));
        }
        if (inputs.isEmpty()) {
            throw new UnsupportedModelException("the model has no inputs (every input is a weight); there is "
                    + "nothing to compute per record");
        }
        if (inputs.size() > 16) {
            throw new UnsupportedModelException("the model has " + inputs.size() + " inputs; ABI v1 allows 16");
        }
        names.clear();
        List<ModelInterface.Io> outputs = new ArrayList<>();
        for (int i = 0; i < g.outputs().size(); i++) {
            Value v = g.outputs().get(i);
            String onnxName = m.outputNames().get(i);
            if (v.isConstant()) {
                throw new UnsupportedModelException("output '" + onnxName + "' is a constant: it does not depend on "
                        + "the inputs (" + v.constant() + "). Remove it from the model's outputs");
            }
            DType dtype = v.type().abiType().orElseThrow(() -> new UnsupportedModelException("output '"
                    + onnxName + "' has type " + v.type() + ", which ABI v1 records cannot carry"));
            outputs.add(new ModelInterface.Io(abiName(onnxName, names), dtype, sample(v, o.batchAxis()), v,
                    null, null));
        }
        if (outputs.size() > 16) {
            throw new UnsupportedModelException("the model has " + outputs.size() + " outputs; ABI v1 allows 16");
        }
        return new ModelInterface(inputs, outputs, o.batchAxis());
    }

    private static int[] sample(Value v, boolean batchAxis) {
        int[] s = v.shape();
        int[] out = batchAxis ? java.util.Arrays.copyOfRange(s, 1, s.length) : s;
        for (int d : out) {
            if (d < 1) {
                throw new UnsupportedModelException("'" + v.name() + "' has shape " + java.util.Arrays.toString(s)
                        + "; a model input or output cannot have an empty dimension");
            }
        }
        return out.length == 0 ? new int[] {1} : out;
    }

    /** The ONNX name made to fit ABI v1's name rule ({@code [A-Za-z_][A-Za-z0-9_.-]{0,63}}), unique. */
    static String abiName(String onnx, Set<String> taken) {
        StringBuilder sb = new StringBuilder();
        for (char c : onnx.toCharArray()) {
            sb.append(Character.isLetterOrDigit(c) && c < 128 || c == '_' || c == '.' || c == '-' ? c : '_');
        }
        String s = sb.toString().replaceAll("^_+(?=[A-Za-z])", "");
        if (s.isEmpty() || !Character.isLetter(s.charAt(0)) && s.charAt(0) != '_') {
            s = "_" + s;
        }
        if (s.length() > 60) {
            s = s.substring(0, 60);
        }
        String unique = s;
        for (int i = 2; !taken.add(unique); i++) {
            unique = s + "_" + i;
        }
        return unique;
    }
}
