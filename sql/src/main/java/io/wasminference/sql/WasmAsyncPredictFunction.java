package io.wasminference.sql;

import org.apache.flink.table.data.RowData;
import org.apache.flink.table.functions.AsyncPredictFunction;
import org.apache.flink.table.functions.FunctionContext;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Asynchronous, batched ML_PREDICT. Flink hands over one row per call; rows are decoded at once and queued, and one
 * worker thread per subtask runs them through the subtask's sandboxed instance in batches of up to
 * {@code batch-size}, started when the batch is full or {@code max-delay} after its first row arrived (a timer on
 * the worker, so the end of the input never waits longer). The planner bounds the rows in flight by
 * {@code max-concurrent-operations} (ML_PREDICT's config map, or {@code table.exec.async-ml-predict.*}): set it to
 * at least the batch size. Checkpoints need nothing from here: Flink's async operator stores the rows in flight
 * and replays them after a restore.
 */
public final class WasmAsyncPredictFunction extends AsyncPredictFunction {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(WasmAsyncPredictFunction.class);

    private final ModelSpec spec;
    private transient PredictEngine engine;
    private transient LinkedBlockingQueue<Pending> queue;
    private transient Thread worker;
    private transient volatile boolean closing;
    private transient long rowsServed;
    private transient long batchesRun;

    private record Pending(PredictEngine.Sample sample, CompletableFuture<Collection<RowData>> result) {}

    WasmAsyncPredictFunction(ModelSpec spec) {
        this.spec = spec;
    }

    @Override
    public void open(FunctionContext context) throws Exception {
        super.open(context);
        engine = spec.open(context.getMetricGroup());
        queue = new LinkedBlockingQueue<>();
        worker = new Thread(this::work, "wasm-ml-predict-" + engine.modelId());
        worker.setDaemon(true);
        worker.start();
    }

    @Override
    public CompletableFuture<Collection<RowData>> asyncPredict(RowData row) {
        CompletableFuture<Collection<RowData>> result = new CompletableFuture<>();
        if (closing) {
            result.completeExceptionally(new IllegalStateException("the ML_PREDICT function is closing"));
            return result;
        }
        queue.add(new Pending(engine.sample(row), result));
        return result;
    }

    private void work() {
        long maxDelayNanos = spec.maxDelay().toNanos();
        List<Pending> batch = new ArrayList<>();
        try {
            while (!closing || !queue.isEmpty()) {
                Pending first = queue.poll(100, TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                batch.add(first);
                long deadline = first.sample().arrivalNanos() + maxDelayNanos;
                while (batch.size() < engine.maxBatch()) {
                    long wait = deadline - System.nanoTime();
                    Pending next = wait > 0 ? queue.poll(wait, TimeUnit.NANOSECONDS) : queue.poll();
                    if (next == null) {
                        break;
                    }
                    batch.add(next);
                }
                run(batch);
                rowsServed += batch.size();
                batchesRun++;
                batch.clear();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            failAll(batch, new IllegalStateException("the ML_PREDICT function closed before answering"));
        }
    }

    private void run(List<Pending> batch) {
        RowData[] out;
        try {
            out = engine.run(batch.stream().map(Pending::sample).toList(), spec.failOnError());
        } catch (RuntimeException e) {
            failAll(batch, e);
            batch.clear();
            return;
        }
        for (int i = 0; i < batch.size(); i++) {
            batch.get(i).result().complete(List.of(out[i]));
        }
    }

    private void failAll(List<Pending> batch, Throwable e) {
        for (Pending p : batch) {
            p.result().completeExceptionally(e);
        }
    }

    @Override
    public void close() throws Exception {
        closing = true;
        if (worker != null) {
            worker.join(spec.limits().callTimeout().multipliedBy(4).toMillis() + 5000);
            if (worker.isAlive()) {
                LOG.warn("ML_PREDICT worker for {} did not stop in time; abandoning it", engine.modelId());
                worker.interrupt();
                worker.join(1000);
            }
            LOG.info("ML_PREDICT {} answered {} rows in {} wasm batches (mean {} rows)", engine.modelId(), rowsServed,
                    batchesRun, batchesRun == 0 ? 0 : rowsServed / batchesRun);
            List<Pending> left = new ArrayList<>();
            queue.drainTo(left);
            failAll(left, new IllegalStateException("the ML_PREDICT function closed"));
        }
        if (engine != null && (worker == null || !worker.isAlive())) {
            engine.close();
            engine = null;
        }
        super.close();
    }
}
