package io.wasminference.operator;

import io.wasminference.abi.ModelMetadata;
import io.wasminference.errors.WasmInferenceException;
import io.wasminference.model.ModelRef;
import io.wasminference.model.ModelVersion;
import io.wasminference.predict.Predictor;
import io.wasminference.record.ModelCommand;

import java.util.ArrayList;
import java.util.List;

/**
 * The model one subtask serves: its {@link Predictor}, its version, and the versions served before it (what a
 * rollback goes back through). Owns the predictor; a switch closes the old one. Used on the task thread only, but
 * {@link #current()} and {@link #predictor()} are volatile: metric gauges read them on the reporter thread (the
 * predictor's gauges never touch native objects).
 */
final class ServingModel implements AutoCloseable {
    private volatile Predictor predictor;
    private volatile ModelVersion current;
    /** Versions served so far, the current one last. */
    private final List<ModelVersion> history;
    private final long loadMillis;

    private ServingModel(Predictor predictor, ModelVersion current, List<ModelVersion> history, long loadMillis) {
        this.predictor = predictor;
        this.current = current;
        this.history = history;
        this.loadMillis = loadMillis;
    }

    /**
     * Loads the version a checkpoint says this subtask served, or else the configured model. A restored version
     * that cannot be loaded (gone, or other bytes than its pinned sha256) fails: the operator never switches
     * models silently.
     *
     * @param restoredHistory the restored versions, the current one last; null or empty when not restored
     */
    static ServingModel open(InferenceConfig config, List<ModelVersion> restoredHistory) {
        ModelVersion restored = restoredHistory == null || restoredHistory.isEmpty() ? null
                : restoredHistory.get(restoredHistory.size() - 1);
        ModelRef ref = restored != null ? restored.ref() : config.model();
        long start = System.nanoTime();
        byte[] bytes;
        try {
            bytes = ref.load();
        } catch (WasmInferenceException e) {
            if (restored != null) {
                throw new IllegalStateException("this job was restored serving model " + restored.id()
                        + " (sha256 " + restored.sha256() + "), but that version cannot be loaded from "
                        + restored.location() + ": " + e.getMessage() + ". The operator never switches "
                        + "models silently. Put that exact file back at " + restored.location() + "; or, to "
                        + "serve " + config.model() + " instead, give this operator a new uid and restore with "
                        + "--allowNonRestoredState (that drops only this operator's state, not the Kafka offsets).",
                        e);
            }
            throw e;
        }
        Predictor predictor = Predictor.create(bytes, ref.location(), config.predictorConfig(), m -> { });
        ModelMetadata meta = predictor.metadata();
        if (restored != null && !(restored.name().equals(meta.name()) && restored.version().equals(meta.version()))) {
            predictor.close();
            throw new IllegalStateException("restored model " + restored.id() + " but " + ref.location()
                    + " now holds " + meta.id() + " with the same sha256; this cannot happen unless metadata parsing "
                    + "changed between releases");
        }
        ModelVersion version = new ModelVersion(meta.name(), meta.version(), predictor.sha256(), ref.location());
        List<ModelVersion> history = new ArrayList<>(restored != null ? restoredHistory : List.of(version));
        return new ServingModel(predictor, version, history, (System.nanoTime() - start) / 1_000_000);
    }

    Predictor predictor() {
        return predictor;
    }

    ModelVersion current() {
        return current;
    }

    ModelMetadata metadata() {
        return predictor.metadata();
    }

    /** The versions served so far, oldest first, the current one last. */
    List<ModelVersion> history() {
        return List.copyOf(history);
    }

    /** How long reading, validating and compiling the first model and creating its instance took. */
    long loadMillis() {
        return loadMillis;
    }

    /**
     * Serves {@code next} from now on and closes the predictor it replaces: a deploy adds its version to the
     * history (keeping the last {@link ServingState#MAX_HISTORY}), a rollback drops the current one.
     */
    void switchTo(Predictor next, ModelVersion version, ModelCommand.Action action) {
        Predictor old = predictor;
        predictor = next;
        current = version;
        if (action == ModelCommand.Action.ROLLBACK) {
            history.remove(history.size() - 1);
        } else {
            history.add(version);
            while (history.size() > ServingState.MAX_HISTORY) {
                history.remove(0);
            }
        }
        old.close();
    }

    @Override
    public void close() {
        predictor.close();
    }
}
