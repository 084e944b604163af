package io.wasminference.predict;

import io.wasminference.abi.ModelKind;
import io.wasminference.abi.ModelMetadata;
import io.wasminference.abi.ModuleKind;
import io.wasminference.abi.TensorSpec;
import io.wasminference.errors.ErrorKind;
import io.wasminference.errors.InvalidInputException;
import io.wasminference.errors.ModelRefusedException;
import io.wasminference.errors.WasmInferenceException;
import io.wasminference.model.ModelRef;
import io.wasminference.record.ClassScore;
import io.wasminference.runtime.IsolatingRunner;
import io.wasminference.runtime.ModelInstance;
import io.wasminference.runtime.WasmModel;
import io.wasminference.tensor.Tensor;
import io.wasminference.tensor.TopK;
import org.apache.flink.annotation.PublicEvolving;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Consumer;

/**
 * One model, loaded, validated and ready to infer batches in its sandbox: everything model-specific, nothing of
 * Flink (the streaming operator, the {@code predict} command and golden-vector validation all run models through
 * it).
 *
 * <pre>{@code
 * try (Predictor p = Predictor.load(ModelRef.of("model.wasm"), PredictorConfig.of(SandboxLimits.defaults()))) {
 *     for (Outcome o : p.infer(inputs)) {
 *         if (o instanceof Outcome.Predicted hit) { ... hit.outputs(), hit.topK() ... }
 *         else { Outcome.Failed miss = (Outcome.Failed) o; ... miss.errorKind(), miss.reason() ... }
 *     }
 * }
 * }</pre>
 *
 * <p>{@link #infer} checks every input against the model's inputs (once: nothing downstream checks again), runs
 * the ones that fit in calls of at most the model's {@code max_batch}, and when a call fails retries its inputs in
 * halves on a fresh instance ({@link IsolatingRunner}) while the batch's time budget lasts, so only the inputs that
 * fail on their own are lost. It returns one {@link Outcome} per input, in order.
 *
 * <p>Owns the compiled model and its one sandboxed instance, and frees both in {@link #close()}; every later call
 * fails with {@link IllegalStateException}. Not thread-safe, like the instance: one predictor per thread (in Flink,
 * one per subtask). {@link #memoryBytes()} and {@link #restarts()} may be read from any thread.
 */
@PublicEvolving
public final class Predictor implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Predictor.class);
    /** Labels of classes beyond this many are made per prediction (a classifier with that many is unusual). */
    private static final int MAX_CACHED_LABELS = 1 << 16;

    private final PredictorConfig config;
    private final String location;
    private final WasmModel model;
    private final ModelInstance instance;
    private final ModelMetadata meta;
    /** Why every prediction would exceed {@link PredictorConfig#maxOutputBytes()}, or null. */
    private final String outputTooLarge;
    private final String firstOutputName;
    /** Scratch space of the per-input top-k (a predictor runs on one thread): top-k classes and probabilities. */
    private final int[] topIndices;
    private final float[] topProbabilities;
    /** The classes' labels, made once instead of per prediction (the index as text when none was declared). */
    private final String[] labels;
    private boolean closed;

    private Predictor(PredictorConfig config, String location, WasmModel model, ModelInstance instance) {
        this.config = config;
        this.location = location;
        this.model = model;
        this.instance = instance;
        this.meta = model.metadata();
        this.outputTooLarge = outputTooLarge(meta, config.maxOutputBytes());
        this.firstOutputName = meta.outputs().get(0).name();
        long classes = meta.outputs().get(0).shape().elementCount();
        int k = meta.kind() == ModelKind.CLASSIFIER ? (int) Math.min(config.topK(), classes) : 0;
        this.topIndices = new int[k];
        this.topProbabilities = new float[k];
        this.labels = new String[k > 0 ? (int) Math.min(classes, MAX_CACHED_LABELS) : 0];
        for (int c = 0; c < labels.length; c++) {
            labels[c] = meta.label(c);
        }
    }

    /**
     * Reads the model {@code ref} points to (checking its sha256 when pinned), validates and compiles it, and
     * creates its sandboxed instance.
     *
     * @throws WasmInferenceException when the model cannot be read or is refused ({@link ErrorKind#REFUSED}), or its
     *     start-up fails (trap, timeout, ...)
     */
    public static Predictor load(ModelRef ref, PredictorConfig config) {
        return create(ref.load(), ref.location(), config, m -> { });
    }

    /**
     * Validates and compiles {@code wasm} (read from {@code location}) and creates its instance.
     *
     * @param beforeStart sees the module's metadata after the static checks and before any of its code runs (the
     *     instance's start function): throw to refuse the model
     */
    public static Predictor create(byte[] wasm, String location, PredictorConfig config,
            Consumer<ModelMetadata> beforeStart) {
        Objects.requireNonNull(location, "location");
        Objects.requireNonNull(config, "config");
        WasmModel model = WasmModel.load(wasm, config.limits());
        ModelInstance instance = null;
        try {
            beforeStart.accept(model.metadata());
            instance = model.newInstance();
            return new Predictor(config, location, model, instance);
        } catch (RuntimeException | Error e) {
            model.close();
            throw e;
        }
    }

    public ModelMetadata metadata() {
        return meta;
    }

    /** Hex sha256 of the module bytes. */
    public String sha256() {
        return model.sha256();
    }

    /** Which contract the module follows (ABI v1 or tvm-standalone). */
    public ModuleKind kind() {
        return model.kind();
    }

    /** Where the model was loaded from. */
    public String location() {
        return location;
    }

    public PredictorConfig config() {
        return config;
    }

    /**
     * Why every input would fail with {@link Outcome#OUTPUT_TOO_LARGE} (the model's outputs per input exceed
     * {@link PredictorConfig#maxOutputBytes()}; ABI v1 outputs have a fixed size), or null when they fit.
     */
    public String outputLimitProblem() {
        return outputTooLarge;
    }

    /** {@link #infer(List, InferenceObserver)} without an observer. */
    public List<Outcome> infer(List<Map<String, Tensor>> inputs) {
        return infer(inputs, InferenceObserver.NONE);
    }

    /**
     * Infers a batch: one {@link Outcome} per input, in order.
     *
     * @param inputs each input's tensors by name, without the batch dimension
     * @throws WasmInferenceException the model's error, when {@link PredictorConfig#isolateFailures()} is off and a
     *     call fails with a model fault
     */
    public List<Outcome> infer(List<Map<String, Tensor>> inputs, InferenceObserver observer) {
        return run(inputs, observer, true);
    }

    /** One input; see {@link #infer(List, InferenceObserver)}. */
    public Outcome infer(Map<String, Tensor> input, InferenceObserver observer) {
        return run(List.of(input), observer, true).get(0);
    }

    /**
     * Runs every golden vector ({@code {"inputs": ..., "outputs": ...}}, one JSON document each) through
     * {@link #infer} and refuses the model on the first output that differs (relative tolerance 1e-5, absolute
     * below 1; integers exactly). Stops between vectors when the thread is interrupted.
     *
     * @throws ModelRefusedException when a vector is unusable, an output differs, or the thread was interrupted
     * @throws WasmInferenceException the model's error when it fails on a vector
     */
    public void checkGolden(List<String> golden) {
        checkOpen();
        for (int g = 0; g < golden.size(); g++) {
            if (Thread.currentThread().isInterrupted()) {
                throw new ModelRefusedException("golden check of " + meta.id() + " interrupted after " + g + " of "
                        + golden.size() + " vectors");
            }
            GoldenVectors.Vector vector = GoldenVectors.parse(g, meta, golden.get(g));
            // Without the output limit: a golden vector checks the numbers, not what a prediction may carry.
            Outcome o = run(List.of(vector.inputs()), InferenceObserver.NONE, false).get(0);
            if (o instanceof Outcome.Failed f) {
                throw f.error();
            }
            GoldenVectors.compare(g, meta, vector, ((Outcome.Predicted) o).outputs());
        }
    }

    private List<Outcome> run(List<Map<String, Tensor>> inputs, InferenceObserver observer, boolean limitOutputs) {
        checkOpen();
        Outcome[] outcomes = new Outcome[inputs.size()];
        int[] valid = new int[inputs.size()];
        int n = 0;
        for (int i = 0; i < inputs.size(); i++) {
            String problem = inputProblem(inputs.get(i));
            if (problem != null) {
                observer.inputRejected(problem);
                outcomes[i] = new Outcome.Failed(ErrorKind.INVALID_INPUT.name(), problem,
                        new InvalidInputException(problem), 1);
            } else {
                valid[n++] = i;
            }
        }
        if (n > 0) {
            List<Map<String, Tensor>> batch = inputs;
            if (n < inputs.size()) {
                batch = new ArrayList<>(n);
                for (int v = 0; v < n; v++) {
                    batch.add(inputs.get(valid[v]));
                }
            }
            IsolatingRunner.run(instance, meta.maxBatch(), batch, config.batchTimeBudget(),
                    new Collector(valid, outcomes, observer, limitOutputs ? outputTooLarge : null));
        }
        return List.of(outcomes);
    }

    /** Turns the runner's reports into outcomes at the inputs' positions. */
    private final class Collector implements IsolatingRunner.Listener {
        /** The input index of each position the runner reports. */
        private final int[] positions;
        private final Outcome[] outcomes;
        private final InferenceObserver observer;
        private final String tooLarge;
        /** The first output of the call {@link #scoresOf} as doubles, for top-k: converted once per call. */
        private List<Tensor> scoresOf;
        private double[] scores;

        Collector(int[] positions, Outcome[] outcomes, InferenceObserver observer, String tooLarge) {
            this.positions = positions;
            this.outcomes = outcomes;
            this.observer = observer;
            this.tooLarge = tooLarge;
        }

        @Override
        public void callFailed(WasmInferenceException e, int batchSize) {
            observer.callFailed(e.kind(), batchSize);
            if (e.kind() != ErrorKind.INVALID_INPUT && !config.isolateFailures()) {
                throw e;
            }
            if (batchSize > 1) {
                LOG.debug("Batch of {} failed ({}); retrying its halves unless its time budget is spent", batchSize,
                        e.kind());
            }
        }

        @Override
        public void callSucceeded(int batchSize, long micros) {
            observer.callSucceeded(batchSize, micros);
        }

        @Override
        public void predicted(int position, List<Tensor> outputs, int row, int batchSize, long micros) {
            if (tooLarge != null) {
                outcomes[positions[position]] = new Outcome.Failed(Outcome.OUTPUT_TOO_LARGE, tooLarge, null, 1);
                return;
            }
            if (topIndices.length > 0 && outputs != scoresOf) { // the first row of a call: its scores, once
                scoresOf = outputs;
                scores = outputs.get(0).toDoubles();
            }
            outcomes[positions[position]] = predictedRow(outputs, row, scores, batchSize, micros);
        }

        @Override
        public void failed(int position, WasmInferenceException e) {
            outcomes[positions[position]] = new Outcome.Failed(e.kind().name(), e.getMessage(), e, 1);
        }

        @Override
        public void failedTogether(int from, int to, WasmInferenceException e) {
            int n = to - from;
            observer.budgetExhausted(n, e);
            String reason = "a group of " + n + " records holding this one failed (" + e.kind() + ": "
                    + e.getMessage() + ") and it was not retried on its own: isolating the failing records had used "
                    + "the batch's time budget of " + config.batchTimeBudget() + " (batchTimeBudget); it may or may "
                    + "not be the cause";
            for (int p = from; p < to; p++) {
                outcomes[positions[p]] = new Outcome.Failed(e.kind().name(), reason, e, n);
            }
        }
    }

    /** @param scores the whole first output (all rows) as doubles, when top-k is wanted */
    private Outcome.Predicted predictedRow(List<Tensor> outputs, int row, double[] scores, int batchSize,
            long micros) {
        // Immutable collections, which the outcome and the records keep as they are: this runs per input.
        Tensor first = outputs.get(0).sample(row);
        Map<String, Tensor> named;
        if (outputs.size() == 1) {
            named = Map.of(firstOutputName, first);
        } else {
            Map<String, Tensor> all = new HashMap<>();
            all.put(firstOutputName, first);
            for (int o = 1; o < outputs.size(); o++) {
                all.put(meta.outputs().get(o).name(), outputs.get(o).sample(row));
            }
            named = Map.copyOf(all);
        }
        List<ClassScore> top = List.of();
        if (topIndices.length > 0) {
            int classes = scores.length / batchSize;
            int n = TopK.select(scores, row * classes, classes, topIndices.length, topIndices, topProbabilities);
            ClassScore[] best = new ClassScore[n];
            for (int i = 0; i < n; i++) {
                int c = topIndices[i];
                best[i] = new ClassScore(c, c < labels.length ? labels[c] : meta.label(c), topProbabilities[i]);
            }
            top = immutable(best);
        }
        return new Outcome.Predicted(named, top, batchSize, micros);
    }

    /** {@code List.of(scores)} without its defensive copy of the array (up to five classes, the default top-k). */
    private static List<ClassScore> immutable(ClassScore[] s) {
        return switch (s.length) {
            case 0 -> List.of();
            case 1 -> List.of(s[0]);
            case 2 -> List.of(s[0], s[1]);
            case 3 -> List.of(s[0], s[1], s[2]);
            case 4 -> List.of(s[0], s[1], s[2], s[3]);
            case 5 -> List.of(s[0], s[1], s[2], s[3], s[4]);
            default -> List.of(s);
        };
    }

    /**
     * Null when {@code input} fits the model, otherwise what is wrong with it. The one check of an input: the
     * batch writer copies what passed it without looking again.
     */
    private String inputProblem(Map<String, Tensor> input) {
        for (TensorSpec spec : meta.inputs()) {
            Tensor t = input.get(spec.name());
            if (t == null) {
                return "input '" + spec.name() + "' (" + spec + ") is missing; model " + meta.id() + " takes "
                        + meta.inputs();
            }
            if (t.dtype() != spec.dtype() || t.elementCount() != spec.shape().elementCount()) {
                return "input '" + spec.name() + "' is " + t + " but model " + meta.id() + " expects " + spec.dtype()
                        + " of shape " + spec.shape() + " per record; records of this shape cannot share its batch";
            }
        }
        if (input.size() != meta.inputs().size()) {
            Set<String> extra = new LinkedHashSet<>(input.keySet());
            meta.inputs().forEach(s -> extra.remove(s.name()));
            return "unknown inputs " + extra + "; model " + meta.id() + " takes " + meta.inputs();
        }
        return null;
    }

    private static String outputTooLarge(ModelMetadata meta, long maxOutputBytes) {
        long bytes = meta.outputs().stream().mapToLong(TensorSpec::sampleBytes).sum();
        if (bytes <= maxOutputBytes) {
            return null;
        }
        return "model " + meta.id() + " produces " + bytes + " bytes of outputs per record " + meta.outputs()
                + ", more than the " + maxOutputBytes + " bytes a prediction may carry (maxOutputBytes, "
                + "--max-output-bytes); raise the limit (mind the sink's message size: JSON takes up to 5 characters "
                + "per byte) or serve a model with smaller outputs";
    }

    /** Size of the instance's linear memory after its last call; safe to read from any thread. */
    public long memoryBytes() {
        return instance.memoryBytes();
    }

    /** How many times the instance was replaced after a failure; safe to read from any thread. */
    public long restarts() {
        return instance.restarts();
    }

    public boolean isClosed() {
        return closed;
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("the predictor of model " + meta.id() + " is closed");
        }
    }

    /** Frees the instance and the compiled model. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            instance.close();
        } finally {
            model.close();
        }
    }
}
