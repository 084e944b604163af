package io.wasminference.sql;

import org.apache.flink.table.data.RowData;
import org.apache.flink.table.functions.FunctionContext;
import org.apache.flink.table.functions.PredictFunction;

import java.util.Collection;
import java.util.List;

/**
 * Synchronous ML_PREDICT ({@code CONFIG => MAP['async', 'false']}): one row per wasm call on the subtask's own
 * sandboxed instance. The asynchronous {@link WasmAsyncPredictFunction} batches and is the default.
 */
public final class WasmPredictFunction extends PredictFunction {
    private static final long serialVersionUID = 1L;

    private final ModelSpec spec;
    private transient PredictEngine engine;

    WasmPredictFunction(ModelSpec spec) {
        this.spec = spec;
    }

    @Override
    public void open(FunctionContext context) throws Exception {
        super.open(context);
        engine = spec.open(context.getMetricGroup());
    }

    @Override
    public Collection<RowData> predict(RowData row) {
        return List.of(engine.run(List.of(engine.sample(row)), spec.failOnError())[0]);
    }

    @Override
    public void close() throws Exception {
        if (engine != null) {
            engine.close();
            engine = null;
        }
        super.close();
    }
}
