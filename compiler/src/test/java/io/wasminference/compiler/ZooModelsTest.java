package io.wasminference.compiler;

import io.wasminference.abi.DType;
import io.wasminference.abi.ModelMetadata;
import io.wasminference.abi.TensorSpec;
import io.wasminference.compiler.onnx.OnnxImporter;
import io.wasminference.runtime.ModelInstance;
import io.wasminference.runtime.SandboxLimits;
import io.wasminference.runtime.WasmModel;
import io.wasminference.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * The model zoo ({@code samples/models/zoo}, written by {@code export_zoo.py}, listed in its MANIFEST.md): small
 * PyTorch modules with seeded random weights, exported as users export (opset 13, dynamic batch axis, constant
 * folding), each a different mix of the supported ops: conv geometry, groups and depthwise, F.pad in every mode,
 * BatchNorm where it cannot be folded, residuals, squeeze-excite, every activation PyTorch exports with the set,
 * pooling modes, view/permute/flatten chains, slicing and Gather, attention (by hand, nn.TransformerEncoderLayer,
 * causal with -inf masks), LayerNorm as exported at opset 13, several inputs and outputs, [N]-shaped inputs, a
 * uint8 input, dynamic non-batch axes, MobileNet, ResNet, ViT and TextCNN blocks.
 *
 * <p>Each model is compiled with a batch axis and max batch {@value #MAX_BATCH}, run at batches 1, 5 and 8 on
 * seeded Gaussian inputs (uniform bytes for uint8), and every output is compared with ONNX Runtime on the same
 * inputs: same shape (up to unit dimensions, see {@link #compare}) and {@code |wasm - ort| <= ATOL + RTOL * |ort|}
 * for every element ({@value #ATOL} absolute plus {@value #RTOL} relative: the 1e-4, with a relative
 * part for the large values random weights produce; equal infinities and NaN where ONNX Runtime has NaN pass).
 *
 * <p>The models in {@link #REFUSED} must be refused with an {@link UnsupportedModelException} whose message
 * contains the listed text (the op and node for ops outside the set). Every other model must compile and match.
 */
@Timeout(900)
class ZooModelsTest {
    static final Path ZOO = Path.of("..", "samples", "models", "zoo");
    static final int MAX_BATCH = 8;
    static final int[] BATCHES = {1, 5, MAX_BATCH};
    static final double ATOL = 1e-4;
    static final double RTOL = 1e-4;

    /** Every model of the zoo, in export order; {@link #zooHoldsExactlyTheListedModels} keeps this list true. */
    static final List<String> MODELS = List.of(
            "conv_geometry", "conv_groups", "depthwise", "asymmetric_pad", "conv1d_net", "batchnorm_variants",
            "resnet_tiny", "squeeze_excite", "activations", "pooling", "reshape_chains", "permute_linear",
            "inception_concat", "slicing", "pad_modes", "softmax_dims", "attention", "linear3d_reduce",
            "squeeze_unsqueeze", "elementwise_math", "multi_io", "broadcasting", "mobilenet_v2_small",
            "mobilenet_v3_small", "transformer_encoder", "vit_tiny", "lenet_classic", "zeros_ones", "dynamic_length",
            "odd_sizes", "big_kernels", "focus_shuffle", "image_u8", "default_names", "pool_squeeze",
            "batch_similarity", "wide_range", "gemm_variants", "reduce_axes", "batchnorm_transposed",
            "torch_transformer_layer", "gelu_tanh_mlp", "nhwc_input", "dynamic_image", "stride_gaps", "shared_weights",
            "passthrough_outputs", "batch_mixing", "rank1_inputs", "stats_roll_stack", "std_layernorm",
            "cifar_resnet_a", "hand_hardswish", "causal_attention", "pool_extras", "tiny_ops", "arange_positions",
            "graph_conv", "text_cnn", "lstm", "group_norm", "upsample_nearest", "token_embedding", "gelu_mlp",
            "chunk_split", "cls_token_expand");

    /**
     * An expected refusal: what the message must contain (for an op outside the set, "Op node '", so the user
     * learns which node) and why the model is refused.
     */
    record Refusal(String mustContain, String why) {}

    /** Models that must be refused: outside the supported op set, or not servable one record at a time. */
    static final Map<String, Refusal> REFUSED = Map.of(
            "gelu_mlp", new Refusal("Erf node '", "F.gelu exports Erf, which is not a supported op"),
            "group_norm", new Refusal("InstanceNormalization node '", "nn.GroupNorm exports InstanceNormalization, "
                    + "which is not a supported op"),
            "upsample_nearest", new Refusal("Resize node '", "F.interpolate exports Resize, which is not a "
                    + "supported op"),
            "lstm", new Refusal("LSTM node '", "nn.LSTM exports LSTM, which is not a supported op"),
            "token_embedding", new Refusal("Gather node '", "nn.Embedding gathers rows by the int64 ids the model "
                    + "takes as input; Gather runs only with indices known at compile time"),
            "batch_similarity", new Refusal("batch", "x @ x.T has shape [N, N]: its output mixes the samples of a "
                    + "batch, so no per-record answer equals ONNX Runtime's"),
            "batch_mixing", new Refusal("batch", "softmax over dim 0 and y - y.mean(0): one record's answer depends "
                    + "on the other records of its batch, so no per-record answer equals ONNX Runtime's"));

    /** Sample shapes (without the batch) of inputs the export left dynamic besides the batch. */
    static final Map<String, Map<String, int[]>> SAMPLE_SHAPES = Map.of( // other sizes than the export's, on purpose
            "dynamic_length", Map.of("x", new int[] {3, 40}),
            "dynamic_image", Map.of("x", new int[] {3, 20, 28}));

    static Stream<String> models() {
        return MODELS.stream();
    }

    @Test
    void zooHoldsExactlyTheListedModels() throws IOException {
        TreeSet<String> onDisk;
        try (Stream<Path> files = Files.list(ZOO)) {
            onDisk = files.map(p -> p.getFileName().toString()).filter(f -> f.endsWith(".onnx"))
                    .map(f -> f.substring(0, f.length() - 5)).collect(Collectors.toCollection(TreeSet::new));
        }
        assertThat((Iterable<String>) onDisk).as("the .onnx files in %s (run export_zoo.py, update MODELS)", ZOO)
                .containsExactlyElementsOf(new TreeSet<>(MODELS));
        assertThat(MODELS).containsAll(REFUSED.keySet()).containsAll(SAMPLE_SHAPES.keySet());
    }

    static CompileOptions options(String name) {
        CompileOptions.Builder b = CompileOptions.builder().name(name).version("zoo").maxBatch(MAX_BATCH)
                .batchAxis(true);
        SAMPLE_SHAPES.getOrDefault(name, Map.of()).forEach((input, shape) ->
                b.input(InputOptions.named(input).withSampleShape(shape)));
        return b.build();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("models")
    void compiledModelMatchesOnnxRuntimeOrIsRefusedAsListed(String name) throws Exception {
        byte[] onnx = Files.readAllBytes(ZOO.resolve(name + ".onnx"));
        Refusal refusal = REFUSED.get(name);
        if (refusal != null) {
            CompiledModel wrong;
            try {
                wrong = OnnxCompiler.compile(onnx, options(name));
            } catch (UnsupportedModelException e) {
                assertThat(e.getMessage()).as("%s's refusal", name).contains(refusal.mustContain());
                System.err.printf("zoo %-20s refused as expected: %s%n", name, e.getMessage());
                return;
            }
            fail(name + " compiled, but should be refused (" + refusal.why() + "); the module declares inputs "
                    + wrong.metadata().inputs() + " and outputs " + wrong.metadata().outputs() + "\n"
                    + wrong.report().summary());
        }
        CompiledModel compiled;
        try {
            compiled = OnnxCompiler.compile(onnx, options(name));
        } catch (UnsupportedModelException e) {
            throw new AssertionError(name + " was refused, but it is built from supported ops only and is not "
                    + "listed in REFUSED: " + e.getMessage(), e);
        }
        OnnxImporter.ImportedModel declared = OnnxImporter.read(onnx);
        List<String> inputNames = declared.inputs().stream().map(OnnxImporter.InputDecl::name).toList();
        List<String> report = new ArrayList<>();
        List<String> failures = new ArrayList<>();
        try (WasmModel model = WasmModel.load(compiled.wasm(), SandboxLimits.defaults());
                ModelInstance instance = model.newInstance();
                OrtReference ort = new OrtReference(onnx)) {
            ModelMetadata meta = model.metadata();
            assertThat(meta.inputs()).hasSameSizeAs(inputNames);
            assertThat(meta.outputs()).hasSameSizeAs(declared.outputNames());
            for (int batch : BATCHES) {
                Random random = new Random(name.hashCode() * 31L + batch);
                List<Tensor> wasmIn = new ArrayList<>();
                Map<String, Object> ortIn = new LinkedHashMap<>();
                Map<String, long[]> ortShapes = new LinkedHashMap<>();
                for (int i = 0; i < inputNames.size(); i++) {
                    TensorSpec spec = meta.inputs().get(i);
                    int[] shape = withBatch(batch, spec.shape().dims());
                    int size = Arrays.stream(shape).reduce(1, Math::multiplyExact);
                    if (spec.dtype() == DType.U8) {
                        byte[] x = new byte[size];
                        random.nextBytes(x);
                        wasmIn.add(Tensor.ofBytes(DType.U8, shape, x));
                        ortIn.put(inputNames.get(i), x);
                    } else {
                        assertThat(spec.dtype()).as("input dtype").isEqualTo(DType.F32);
                        float[] x = new float[size];
                        for (int k = 0; k < x.length; k++) {
                            x[k] = (float) random.nextGaussian();
                        }
                        wasmIn.add(Tensor.ofFloats(shape, x));
                        ortIn.put(inputNames.get(i), x);
                    }
                    // a declared [N] input is [N, 1] in ABI v1 (no rank-0 samples); ONNX Runtime takes it as declared
                    long[] ortShape = declared.inputs().get(i).dims().length == 1 ? new long[] {batch}
                            : Arrays.stream(shape).asLongStream().toArray();
                    ortShapes.put(inputNames.get(i), ortShape);
                }
                List<Tensor> got = instance.run(wasmIn);
                List<OrtReference.Output> want = ort.runAll(ortIn, ortShapes);
                assertThat(got).hasSameSizeAs(want);
                for (int o = 0; o < want.size(); o++) {
                    compare(batch, want.get(o), got.get(o), report, failures);
                }
            }
        }
        System.err.printf(Locale.ROOT, "zoo %-20s %s%n    %s%n", name, String.join("; ", report),
                compiled.report().summary().replace("\n", "\n    "));
        if (!failures.isEmpty()) {
            fail(name + " differs from ONNX Runtime:\n  " + String.join("\n  ", failures) + "\ncompile report:\n"
                    + compiled.report().summary());
        }
    }

    /**
     * Compares one output. Shapes may differ only in unit dimensions: ABI v1 has no rank-0 sample, so an ONNX
     * output of shape [N] is [N, 1]; and where a Squeeze without axes meets batch 1, ONNX Runtime drops the batch
     * dimension too. The values are then in the same order.
     */
    private static void compare(int batch, OrtReference.Output want, Tensor got, List<String> report,
                                List<String> failures) {
        String what = "output '" + want.name() + "' at batch " + batch;
        int[] wantShape = Arrays.stream(want.shape()).mapToInt(Math::toIntExact).toArray();
        if (!Arrays.equals(got.shape(), wantShape)) {
            if (!Arrays.equals(withoutUnitDims(got.shape()), withoutUnitDims(wantShape))) {
                failures.add(what + ": shape " + Arrays.toString(got.shape()) + ", ONNX Runtime "
                        + Arrays.toString(wantShape));
                return;
            }
            report.add(what + " shape " + Arrays.toString(got.shape()) + " (ONNX Runtime "
                    + Arrays.toString(wantShape) + ")");
        }
        double[] a = got.toDoubles();
        float[] e = want.values();
        double worst = 0;
        int bad = 0;
        int firstBad = -1;
        for (int i = 0; i < e.length; i++) {
            if (a[i] == e[i] || Double.isNaN(a[i]) && Float.isNaN(e[i])) {
                continue; // equal, including infinities and NaN where ONNX Runtime has NaN
            }
            double err = Math.abs(a[i] - e[i]);
            if (!(err <= ATOL + RTOL * Math.abs(e[i]))) {
                bad++;
                if (firstBad < 0) {
                    firstBad = i;
                }
            }
            if (!(err <= worst)) {
                worst = err; // NaN sticks
            }
        }
        report.add(String.format(Locale.ROOT, "%s b%d max|d| %.2g", want.name(), batch, worst));
        if (bad > 0) {
            int s = firstBad / Math.max(1, e.length / batch);
            failures.add(String.format(Locale.ROOT, "%s: %d of %d values outside %.0e + %.0e*|ort| (largest "
                            + "|wasm - ort| %.3g); first at flat index %d (sample %d): wasm %s, ort %s", what, bad,
                    e.length, ATOL, RTOL, worst, firstBad, s, a[firstBad], e[firstBad]));
        }
    }

    private static int[] withoutUnitDims(int[] shape) {
        return Arrays.stream(shape).filter(d -> d != 1).toArray();
    }

    private static int[] withBatch(int batch, int[] sample) {
        int[] s = new int[sample.length + 1];
        s[0] = batch;
        System.arraycopy(sample, 0, s, 1, sample.length);
        return s;
    }
}
