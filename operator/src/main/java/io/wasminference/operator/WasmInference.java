package io.wasminference.operator;

import io.wasminference.batching.BatchPolicy;
import io.wasminference.model.ModelRef;
import io.wasminference.model.ModelRepository;
import io.wasminference.record.DeadLetter;
import io.wasminference.record.InferenceRequest;
import io.wasminference.record.ModelCommand;
import io.wasminference.record.ModelEvent;
import io.wasminference.record.Prediction;
import io.wasminference.record.RecordTypeInfos;
import io.wasminference.runtime.SandboxLimits;
import io.wasminference.signing.TrustedKeys;
import org.apache.flink.annotation.PublicEvolving;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.util.OutputTag;

import java.time.Duration;
import java.util.Objects;

/**
 * Adds sandboxed wasm inference to a DataStream job.
 *
 * <pre>{@code
 * InferenceResult result = WasmInference.model(ModelRef.of("s3://models/fashion-lenet5.wasm"))
 *         .batchSize(64)
 *         .maxBatchDelay(Duration.ofMillis(10))
 *         .callTimeout(Duration.ofSeconds(2))
 *         .memoryLimitBytes(64 << 20)
 *         .onError(ErrorPolicy.DEAD_LETTER)
 *         .apply(requests);
 * result.predictions().sinkTo(...);
 * result.deadLetters().sinkTo(...);
 * }</pre>
 *
 * Every parallel subtask holds one sandboxed instance of the model; records are micro-batched per subtask. The
 * served model version is checkpointed: a job restored from a checkpoint or savepoint serves the same bytes.
 */
@PublicEvolving
public final class WasmInference {
    /** Operator name and default uid prefix. */
    public static final String OPERATOR_NAME = "wasm-inference";

    private final ModelRef model;
    private SandboxLimits limits = SandboxLimits.defaults();
    private int batchSize = BatchPolicy.defaults().maxSize();
    private Duration maxBatchDelay = BatchPolicy.defaults().maxDelay();
    private ErrorPolicy errorPolicy = ErrorPolicy.DEAD_LETTER;
    private int topK = 5;
    private int circuitBreakerThreshold = 1000;
    private String uid = OPERATOR_NAME;
    private ModelRepository repository;
    private Duration batchTimeBudget;
    private long maxOutputBytes = InferenceConfig.DEFAULT_MAX_OUTPUT_BYTES;
    private TrustedKeys trustedKeys;

    private WasmInference(ModelRef model) {
        this.model = Objects.requireNonNull(model, "model");
    }

    /** Starts a builder for the model at {@code model} (served unless a checkpoint says otherwise). */
    public static WasmInference model(ModelRef model) {
        return new WasmInference(model);
    }

    /** Most records per wasm call (capped by the model's declared max batch). Default 64. */
    public WasmInference batchSize(int size) {
        this.batchSize = size;
        return this;
    }

    /** Longest a record waits for others to share its call. Default 10 ms. */
    public WasmInference maxBatchDelay(Duration delay) {
        this.maxBatchDelay = delay;
        return this;
    }

    /** Wall-clock deadline of one wasm call. Default 10 s. */
    public WasmInference callTimeout(Duration timeout) {
        this.limits = limits.withCallTimeout(timeout);
        return this;
    }

    /** Cap on each instance's linear memory (native memory, outside the heap). Default 256 MiB. */
    public WasmInference memoryLimitBytes(long bytes) {
        this.limits = limits.withMemoryLimitBytes(bytes);
        return this;
    }

    /** All sandbox limits at once. */
    public WasmInference limits(SandboxLimits sandboxLimits) {
        this.limits = Objects.requireNonNull(sandboxLimits, "limits");
        return this;
    }

    /** What to do when the model fails on a record. Default {@link ErrorPolicy#DEAD_LETTER}. */
    public WasmInference onError(ErrorPolicy policy) {
        this.errorPolicy = Objects.requireNonNull(policy, "policy");
        return this;
    }

    /** Classes per classifier prediction. Default 5. */
    public WasmInference topK(int k) {
        this.topK = k;
        return this;
    }

    /**
     * How long a failed batch may be retried in halves to find the records that fail it (each retry that times
     * out costs a call timeout; a batch of 64 that always times out would cost 127 of them). Once spent, the
     * records not isolated yet are dead-lettered with the batch's error. Default 3 call timeouts; zero never
     * retries a failed batch.
     */
    public WasmInference batchTimeBudget(Duration budget) {
        this.batchTimeBudget = Objects.requireNonNull(budget, "budget");
        return this;
    }

    /**
     * Most bytes of output tensors one prediction may carry (all outputs of one record, raw); a record whose
     * outputs are larger is dead-lettered ({@code OUTPUT_TOO_LARGE}) instead of becoming a prediction that is many
     * times its size in heap and JSON. Default 128 KiB.
     */
    public WasmInference maxOutputBytes(long bytes) {
        this.maxOutputBytes = bytes;
        return this;
    }

    /**
     * Records in a row the model fails on (dead letters with a model fault, isolated or not) after which the task
     * fails (with {@link ErrorPolicy#DEAD_LETTER}). Default 1000.
     */
    public WasmInference circuitBreakerThreshold(int records) {
        this.circuitBreakerThreshold = records;
        return this;
    }

    /** Operator uid, needed to restore its state from a savepoint. Default {@value #OPERATOR_NAME}. */
    public WasmInference uid(String operatorUid) {
        this.uid = Objects.requireNonNull(operatorUid, "uid");
        return this;
    }

    /** Where {@code deploy} commands find model versions (needed by {@link #applyWithControl}). */
    public WasmInference repository(ModelRepository modelRepository) {
        this.repository = Objects.requireNonNull(modelRepository, "repository");
        return this;
    }

    /**
     * Deploy only versions whose manifest is signed by one of these keys ({@code publish --sign-key}); a deploy of
     * an unsigned or otherwise signed version is refused with a model event. Without it, anyone who can write to
     * the control stream and the repository decides what runs (docs/hot-swap.md, threat model).
     */
    public WasmInference trustedKeys(TrustedKeys keys) {
        this.trustedKeys = Objects.requireNonNull(keys, "keys");
        return this;
    }

    /** The validated configuration. */
    public InferenceConfig config() {
        return new InferenceConfig(model, limits, new BatchPolicy(batchSize, maxBatchDelay), errorPolicy, topK,
                circuitBreakerThreshold, repository,
                batchTimeBudget != null ? batchTimeBudget : InferenceConfig.defaultBudget(limits), maxOutputBytes,
                trustedKeys);
    }

    /** Wires the operator after {@code input}. */
    public InferenceResult apply(DataStream<InferenceRequest> input) {
        InferenceConfig config = config();
        OutputTag<DeadLetter> tag = new OutputTag<>(uid + "-dead-letters", RecordTypeInfos.DEAD_LETTER);
        SingleOutputStreamOperator<Prediction> predictions = input
                .transform(OPERATOR_NAME, RecordTypeInfos.PREDICTION, new WasmInferenceOperator.Factory(config, tag))
                .uid(uid);
        return new InferenceResult(predictions, predictions.getSideOutput(tag), null);
    }

    /**
     * Wires the operator after {@code input}, with {@code commands} (deploy, rollback) broadcast to every subtask
     * so the model can be swapped while the job runs (docs/hot-swap.md). What each subtask did with each command
     * is in {@link InferenceResult#modelEvents()}.
     */
    public InferenceResult applyWithControl(DataStream<InferenceRequest> input, DataStream<ModelCommand> commands) {
        if (repository == null) {
            throw new IllegalStateException("hot swap needs a model repository: call repository(...) first");
        }
        InferenceConfig config = config();
        OutputTag<DeadLetter> tag = new OutputTag<>(uid + "-dead-letters", RecordTypeInfos.DEAD_LETTER);
        OutputTag<ModelEvent> eventTag = new OutputTag<>(uid + "-model-events", RecordTypeInfos.EVENT);
        SingleOutputStreamOperator<Prediction> predictions = input
                .connect(commands.broadcast())
                .transform(OPERATOR_NAME, RecordTypeInfos.PREDICTION,
                        new HotSwapInferenceOperator.Factory(config, tag, eventTag))
                .uid(uid);
        return new InferenceResult(predictions, predictions.getSideOutput(tag), predictions.getSideOutput(eventTag));
    }
}
