package io.wasminference.metrics;

import io.wasminference.errors.ErrorKind;
import org.apache.flink.annotation.PublicEvolving;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * The inference operator's metrics, registered under the subtask's operator group in a {@value #GROUP} subgroup.
 * Names are constants here and documented in docs/operator.md; the hot path calls the {@code record*} methods.
 */
@PublicEvolving
public final class InferenceMetrics {
    public static final String GROUP = "wasmInference";

    public static final String RECORDS_IN = "recordsIn";
    public static final String PREDICTIONS_OUT = "predictionsOut";
    public static final String DEAD_LETTERS = "deadLetters";
    public static final String BATCHES = "batches";
    public static final String FAILED_BATCHES = "failedBatches";
    public static final String TRAPS = "traps";
    public static final String TIMEOUTS = "timeouts";
    public static final String OUT_OF_MEMORY = "outOfMemory";
    public static final String PROTOCOL_ERRORS = "protocolErrors";
    public static final String INVALID_INPUTS = "invalidInputs";
    public static final String STACK_OVERFLOWS = "stackOverflows";
    public static final String MODEL_ERRORS = "modelErrors";
    public static final String INSTANCE_RESTARTS = "instanceRestarts";
    public static final String BATCH_SIZE = "batchSize";
    public static final String BATCH_LATENCY_MICROS = "batchLatencyMicros";
    public static final String RECORD_LATENCY_MICROS = "recordLatencyMicros";
    public static final String QUEUE_WAIT_MICROS = "queueWaitMicros";
    public static final String MODEL_VERSION = "modelVersion";
    public static final String MODEL_SHA256 = "modelSha256";
    public static final String WASM_MEMORY_BYTES = "wasmMemoryBytes";
    public static final String MODEL_LOAD_MILLIS = "modelLoadMillis";
    public static final String MODEL_SWAPS = "modelSwaps";
    public static final String MODEL_SWAPS_REFUSED = "modelSwapsRefused";
    public static final String BUDGET_EXHAUSTED = "batchBudgetExhausted";
    /**
     * 1 for the version the subtask serves, 0 for versions it served before; under a {@value #MODEL_VERSION_KEY}
     * key-value group, so a Prometheus reporter shows the version as a label (string gauges are not exported).
     */
    public static final String MODEL_INFO = "modelInfo";
    /** Key of the group that carries the served version ({@code name:version:sha256}) as its value. */
    public static final String MODEL_VERSION_KEY = "model_version";
    /** Key of the groups that count dead letters by kind ({@value #DEAD_LETTERS} under each). */
    public static final String KIND_KEY = "kind";

    private static final int HISTOGRAM_WINDOW = 1024;

    private final Counter recordsIn;
    private final Counter predictionsOut;
    private final Counter deadLetters;
    private final Counter batches;
    private final Counter failedBatches;
    private final Counter traps;
    private final Counter timeouts;
    private final Counter outOfMemory;
    private final Counter protocolErrors;
    private final Counter invalidInputs;
    private final Counter stackOverflows;
    private final Counter modelErrors;
    private final Counter swaps;
    private final Counter swapsRefused;
    private final Counter budgetExhausted;
    private final Histogram batchSize;
    private final Histogram batchLatency;
    private final WindowHistogram recordLatency;
    private final WindowHistogram queueWait;
    private final MetricGroup group;
    private final Supplier<String> modelVersion;
    private final Supplier<String> modelSha256;
    private final Map<String, Counter> deadLettersByKind = new HashMap<>();
    private final Set<String> versionsSeen = new HashSet<>();
    private volatile String servedVersion = "";
    private String lastName;
    private String lastSha;

    /**
     * @param parent the operator's metric group
     * @param modelVersion current {@code name:version}
     * @param modelSha256 current sha256
     * @param wasmMemoryBytes current size of the instance's linear memory
     * @param restarts instance restarts so far
     * @param modelLoadMillis how long loading and compiling the model took
     */
    public InferenceMetrics(MetricGroup parent, Supplier<String> modelVersion, Supplier<String> modelSha256,
            LongSupplier wasmMemoryBytes, LongSupplier restarts, long modelLoadMillis) {
        MetricGroup g = parent.addGroup(GROUP);
        this.group = g;
        this.modelVersion = modelVersion;
        this.modelSha256 = modelSha256;
        recordsIn = g.counter(RECORDS_IN);
        predictionsOut = g.counter(PREDICTIONS_OUT);
        deadLetters = g.counter(DEAD_LETTERS);
        batches = g.counter(BATCHES);
        failedBatches = g.counter(FAILED_BATCHES);
        traps = g.counter(TRAPS);
        timeouts = g.counter(TIMEOUTS);
        outOfMemory = g.counter(OUT_OF_MEMORY);
        protocolErrors = g.counter(PROTOCOL_ERRORS);
        invalidInputs = g.counter(INVALID_INPUTS);
        stackOverflows = g.counter(STACK_OVERFLOWS);
        modelErrors = g.counter(MODEL_ERRORS);
        swaps = g.counter(MODEL_SWAPS);
        swapsRefused = g.counter(MODEL_SWAPS_REFUSED);
        budgetExhausted = g.counter(BUDGET_EXHAUSTED);
        batchSize = g.histogram(BATCH_SIZE, new DescriptiveStatisticsHistogram(HISTOGRAM_WINDOW));
        batchLatency = g.histogram(BATCH_LATENCY_MICROS, new DescriptiveStatisticsHistogram(HISTOGRAM_WINDOW));
        recordLatency = g.histogram(RECORD_LATENCY_MICROS, new WindowHistogram(HISTOGRAM_WINDOW));
        queueWait = g.histogram(QUEUE_WAIT_MICROS, new WindowHistogram(HISTOGRAM_WINDOW));
        g.gauge(MODEL_VERSION, modelVersion::get);
        g.gauge(MODEL_SHA256, modelSha256::get);
        g.gauge(WASM_MEMORY_BYTES, wasmMemoryBytes::getAsLong);
        g.gauge(INSTANCE_RESTARTS, restarts::getAsLong);
        g.gauge(MODEL_LOAD_MILLIS, () -> modelLoadMillis);
        for (ErrorKind kind : ErrorKind.values()) {
            // registered up front, so a dashboard's series exist (at 0) before the first failure
            deadLettersByKind.put(kind.name(), deadLetterCounter(g, kind.name()));
        }
        noteVersion();
    }

    /**
     * The dead-letter counter of one kind ({@link io.wasminference.errors.ErrorKind} name or {@code DECODE}) under a
     * {@value #KIND_KEY} group of {@code group}: the one metric a dashboard sums by kind, whichever operator (the
     * Kafka source for DECODE, the inference operator for the rest) produced the dead letter.
     */
    public static Counter deadLetterCounter(MetricGroup group, String kind) {
        return group.addGroup(KIND_KEY, kind).counter(DEAD_LETTERS);
    }

    /** Registers the info gauge of the version now served, once per version (checked per batch, cheap). */
    private void noteVersion() {
        String name = modelVersion.get();
        String sha = modelSha256.get();
        if (name.equals(lastName) && sha.equals(lastSha)) {
            return;
        }
        lastName = name;
        lastSha = sha;
        String v = name + ":" + sha;
        if (!v.equals(servedVersion)) {
            servedVersion = v;
            if (versionsSeen.add(v)) {
                group.addGroup(MODEL_VERSION_KEY, v).gauge(MODEL_INFO, () -> v.equals(servedVersion) ? 1 : 0);
            }
        }
    }

    public void recordIn() {
        recordsIn.inc();
    }

    /** {@code n} records arrived. */
    public void recordIn(int n) {
        recordsIn.inc(n);
    }

    public void recordPrediction(long queueMicros, long inferenceMicros) {
        predictionsOut.inc();
        queueWait.update(queueMicros);
        recordLatency.update(queueMicros + inferenceMicros);
    }

    /**
     * {@code n} predictions at once, as {@code n} calls of {@link #recordPrediction} would count them (one lock per
     * histogram instead of one per record).
     *
     * @param queueMicros each prediction's queue wait
     * @param latencyMicros each prediction's queue wait plus its call's time
     */
    public void recordPredictions(long[] queueMicros, long[] latencyMicros, int n) {
        if (n == 0) {
            return;
        }
        predictionsOut.inc(n);
        queueWait.update(queueMicros, n);
        recordLatency.update(latencyMicros, n);
    }

    /** A record became a dead letter of {@code kind} (an {@link ErrorKind} name or {@code DECODE}). */
    public void recordDeadLetter(String kind) {
        deadLetters.inc();
        deadLettersByKind.computeIfAbsent(kind, k -> deadLetterCounter(group, k)).inc();
    }

    /** A wasm call of {@code size} records that took {@code micros}. */
    public void recordBatch(int size, long micros) {
        noteVersion();
        batches.inc();
        batchSize.update(size);
        batchLatency.update(micros);
    }

    /** The subtask switched to another model version (deploy or rollback). */
    public void recordSwap() {
        swaps.inc();
    }

    /** A control command was refused; the old version keeps serving. */
    public void recordSwapRefused() {
        swapsRefused.inc();
    }

    /** Records of a failed batch were dead-lettered without being retried: its time budget was spent. */
    public void recordBudgetExhausted() {
        budgetExhausted.inc();
    }

    /** A failed wasm call, by kind. */
    public void recordFailure(ErrorKind kind) {
        failedBatches.inc();
        switch (kind) {
            case TRAP -> traps.inc();
            case TIMEOUT -> timeouts.inc();
            case OUT_OF_MEMORY -> outOfMemory.inc();
            case PROTOCOL -> protocolErrors.inc();
            case INVALID_INPUT -> invalidInputs.inc();
            case STACK_OVERFLOW -> stackOverflows.inc();
            case MODEL_ERROR -> modelErrors.inc();
            case REFUSED -> { }
        }
    }
}
