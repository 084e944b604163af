package io.wasminference.operator;

import io.wasminference.batching.BatchBuffer;
import io.wasminference.metrics.InferenceMetrics;
import io.wasminference.record.DeadLetter;
import io.wasminference.record.InferenceRequest;
import io.wasminference.record.ModelCommand;
import io.wasminference.record.Prediction;
import io.wasminference.record.RecordTypeInfos;
import org.apache.flink.annotation.PublicEvolving;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.java.typeutils.EitherTypeInfo;
import org.apache.flink.api.java.typeutils.ResultTypeQueryable;
import org.apache.flink.runtime.state.FunctionInitializationContext;
import org.apache.flink.runtime.state.FunctionSnapshotContext;
import org.apache.flink.streaming.api.checkpoint.CheckpointedFunction;
import org.apache.flink.types.Either;

import java.util.List;

/**
 * Inference as a plain {@code map}, one record per wasm call: for a simple pipeline, or a model that needs no
 * batching. {@link WasmInference#apply} is the intended use: it batches records across calls, which is several
 * times faster for most models.
 *
 * <pre>{@code
 * DataStream<Either<Prediction, DeadLetter>> out = requests.map(new WasmInferenceFunction(
 *         WasmInference.model(ModelRef.of("s3://models/m.wasm")).callTimeout(Duration.ofSeconds(2)).config()));
 * }</pre>
 *
 * <p>It fails as the operator does: a record that does not fit the model, or that the model fails on, becomes a
 * dead letter with the reason ({@link ErrorPolicy#DEAD_LETTER}), a model fault under {@link ErrorPolicy#FAIL} and
 * an open circuit breaker fail the task. A map function has no side output, so each record maps to an
 * {@link Either}: its prediction (left) or its dead letter (right); the produced type carries explicit serializers.
 *
 * <p>One sandboxed instance per parallel subtask, created in {@link #open(OpenContext)} and disposed in
 * {@link #close()}. It checkpoints which model it serves, in the same state as the operator, and, restored, serves
 * exactly that model again, whatever default is configured. It takes no control commands.
 */
@PublicEvolving
public class WasmInferenceFunction extends RichMapFunction<InferenceRequest, Either<Prediction, DeadLetter>>
        implements CheckpointedFunction, ResultTypeQueryable<Either<Prediction, DeadLetter>> {
    private static final long serialVersionUID = 1L;

    private final InferenceConfig config;

    private transient ServingStateStore stateStore;
    private transient List<ModelCommand> restoredPending;
    private transient ServingModel serving;
    private transient RecordInference inference;
    private transient int subtask;
    /** The result of the record being mapped (a map emits exactly one). */
    private transient Either<Prediction, DeadLetter> result;

    /** @param config as {@link WasmInference#config()} builds it; its batching settings are not used */
    public WasmInferenceFunction(InferenceConfig config) {
        this.config = config;
    }

    @Override
    public void initializeState(FunctionInitializationContext context) throws Exception {
        subtask = getRuntimeContext().getTaskInfo().getIndexOfThisSubtask();
        stateStore = ServingStateStore.initialize(context.getOperatorStateStore(), context.isRestored(), subtask);
        ServingState restored = stateStore.restored();
        restoredPending = restored == null ? List.of() : restored.pending();
    }

    @Override
    public void open(OpenContext openContext) throws Exception {
        ServingState restored = stateStore.restored();
        serving = ServingModel.open(config, restored == null ? null : restored.history());
        InferenceMetrics metrics = new InferenceMetrics(getRuntimeContext().getMetricGroup(),
                () -> serving.current().id(), () -> serving.current().sha256(),
                () -> serving.predictor().memoryBytes(), () -> serving.predictor().restarts(), serving.loadMillis());
        inference = new RecordInference(config, metrics, subtask);
    }

    @Override
    public Either<Prediction, DeadLetter> map(InferenceRequest request) {
        long now = System.nanoTime();
        inference.infer(serving, List.of(new BatchBuffer.Entry<>(request, now)), now, new RecordInference.Emitter() {
            @Override
            public void prediction(int index, Prediction prediction) {
                result = Either.Left(prediction);
            }

            @Override
            public void deadLetter(int index, DeadLetter deadLetter) {
                result = Either.Right(deadLetter);
            }
        });
        return result;
    }

    @Override
    public void snapshotState(FunctionSnapshotContext context) throws Exception {
        stateStore.snapshot(new ServingState(subtask, serving.history(), restoredPending));
    }

    @Override
    public TypeInformation<Either<Prediction, DeadLetter>> getProducedType() {
        return new EitherTypeInfo<>(RecordTypeInfos.PREDICTION, RecordTypeInfos.DEAD_LETTER);
    }

    @Override
    public void close() throws Exception {
        if (serving != null) {
            serving.close();
        }
    }
}
