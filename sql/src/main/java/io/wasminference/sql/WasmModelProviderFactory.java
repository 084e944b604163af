package io.wasminference.sql;

import io.wasminference.abi.ModelMetadata;
import io.wasminference.errors.ModelRefusedException;
import io.wasminference.model.ModelManifest;
import io.wasminference.model.ModelRef;
import io.wasminference.model.ModelRepository;
import io.wasminference.runtime.ModelInstance;
import io.wasminference.runtime.SandboxLimits;
import io.wasminference.runtime.WasmModel;

import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.configuration.ReadableConfig;
import org.apache.flink.table.catalog.ResolvedCatalogModel;
import org.apache.flink.table.factories.FactoryUtil;
import org.apache.flink.table.factories.ModelProviderFactory;
import org.apache.flink.table.functions.AsyncPredictFunction;
import org.apache.flink.table.functions.PredictFunction;
import org.apache.flink.table.ml.AsyncPredictRuntimeProvider;
import org.apache.flink.table.ml.ModelProvider;
import org.apache.flink.table.ml.PredictRuntimeProvider;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The {@code wasm} model provider: {@code CREATE MODEL m INPUT (...) OUTPUT (...) WITH ('provider' = 'wasm',
 * 'uri' = ...)}. At planning it reads the module, runs the sandbox's checks on it (a hostile or broken module is
 * refused before the query runs) and checks the declared INPUT/OUTPUT columns against the module's metadata
 * (docs/sql.md). The functions it creates serve the model from one sandboxed instance per subtask.
 */
public final class WasmModelProviderFactory implements ModelProviderFactory {
    public static final String IDENTIFIER = "wasm";
    private static final Logger LOG = LoggerFactory.getLogger(WasmModelProviderFactory.class);

    /** ML_PREDICT's runtime option (config map or table.exec.async-ml-predict.*) that bounds rows in flight. */
    static final ConfigOption<Integer> MAX_CONCURRENT = ConfigOptions.key("max-concurrent-operations").intType()
            .noDefaultValue();

    /**
     * Deliberate per-JVM cache: the metadata of modules already checked at planning, by location and pinned hash,
     * because the planner calls the factory on every planning of a query. Bounded (least recently used out).
     */
    private static final Map<String, Checked> CHECKED = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Checked> eldest) {
            return size() > 32;
        }
    };

    private record Checked(ModelMetadata metadata, String sha256) {}

    @Override
    public String factoryIdentifier() {
        return IDENTIFIER;
    }

    @Override
    public Set<ConfigOption<?>> requiredOptions() {
        return Set.of(WasmModelOptions.URI);
    }

    @Override
    public Set<ConfigOption<?>> optionalOptions() {
        return Set.of(WasmModelOptions.SHA256, WasmModelOptions.REPOSITORY, WasmModelOptions.BATCH_SIZE,
                WasmModelOptions.MAX_DELAY, WasmModelOptions.TIMEOUT, WasmModelOptions.STARTUP_TIMEOUT,
                WasmModelOptions.MEMORY, WasmModelOptions.ON_ERROR);
    }

    @Override
    public ModelProvider createModelProvider(Context context) {
        FactoryUtil.ModelProviderFactoryHelper helper = FactoryUtil.createModelProviderFactoryHelper(this, context);
        helper.validate();
        ReadableConfig o = helper.getOptions();
        int batchSize = o.get(WasmModelOptions.BATCH_SIZE);
        if (batchSize < 1) {
            throw new IllegalArgumentException("'batch-size' must be at least 1, got " + batchSize);
        }
        SandboxLimits limits = SandboxLimits.defaults()
                .withMemoryLimitBytes(o.get(WasmModelOptions.MEMORY).getBytes())
                .withCallTimeout(o.get(WasmModelOptions.TIMEOUT))
                .withStartupTimeout(o.get(WasmModelOptions.STARTUP_TIMEOUT));
        ModelRef ref = ref(o);
        Checked checked = check(ref, limits);
        ResolvedCatalogModel model = context.getCatalogModel();
        PredictSchema schema = PredictSchema.of(model.getResolvedInputSchema(), model.getResolvedOutputSchema(),
                checked.metadata());
        if (o.get(WasmModelOptions.SHA256) == null) {
            ref = ref.withSha256(checked.sha256()); // every subtask serves exactly the module checked here
        }
        ModelSpec spec = new ModelSpec(ref, limits, schema, batchSize, o.get(WasmModelOptions.MAX_DELAY),
                o.get(WasmModelOptions.ON_ERROR));
        return new Provider(spec);
    }

    private static ModelRef ref(ReadableConfig o) {
        String uri = o.get(WasmModelOptions.URI);
        String repo = o.get(WasmModelOptions.REPOSITORY);
        ModelRef ref;
        if (repo != null) {
            String[] nv = uri.split("/", -1);
            if (nv.length != 2) {
                throw new IllegalArgumentException("with 'repository', 'uri' is NAME/VERSION of a published model, "
                        + "got '" + uri + "'");
            }
            try {
                ModelRepository r = new ModelRepository(repo);
                ModelManifest m = r.find(nv[0], nv[1]).orElseThrow(() -> new ModelRefusedException("the model "
                        + "repository " + repo + " has no version " + nv[1] + " of model " + nv[0]));
                ref = r.ref(m);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read the model repository " + repo, e);
            }
        } else {
            ref = ModelRef.of(uri);
        }
        String sha = o.get(WasmModelOptions.SHA256);
        return sha == null ? ref : ref.withSha256(sha);
    }

    /** Reads the module and runs the sandbox's checks: static ones, compilation and instantiation. */
    private static Checked check(ModelRef ref, SandboxLimits limits) {
        String key = ref.location() + "#" + ref.expectedSha256().orElse("") + "#" + limits;
        synchronized (CHECKED) {
            Checked c = CHECKED.get(key);
            if (c != null) {
                return c;
            }
        }
        Checked c;
        try (WasmModel m = WasmModel.load(ref.load(), limits); ModelInstance i = m.newInstance()) {
            c = new Checked(m.metadata(), m.sha256());
            LOG.info("ML_PREDICT model {} (sha256 {}) passes the sandbox's checks ({} KiB of memory)",
                    m.metadata().id(), m.sha256(), i.memoryBytes() >> 10);
        }
        synchronized (CHECKED) {
            CHECKED.put(key, c);
        }
        return c;
    }

    /** Both runtimes; ML_PREDICT's 'async' option picks one (asynchronous, batched, by default). */
    static final class Provider implements AsyncPredictRuntimeProvider, PredictRuntimeProvider {
        private final ModelSpec spec;

        Provider(ModelSpec spec) {
            this.spec = spec;
        }

        @Override
        public AsyncPredictFunction createAsyncPredictFunction(ModelProvider.Context context) {
            context.runtimeConfig().getOptional(MAX_CONCURRENT).ifPresent(n -> {
                if (n < spec.batchSize()) {
                    LOG.warn("ML_PREDICT allows {} rows in flight ('max-concurrent-operations'), fewer than the "
                            + "model's 'batch-size' {}: batches hold at most {} rows", n, spec.batchSize(), n);
                }
            });
            return new WasmAsyncPredictFunction(spec);
        }

        @Override
        public PredictFunction createPredictFunction(ModelProvider.Context context) {
            return new WasmPredictFunction(spec);
        }

        @Override
        public ModelProvider copy() {
            return new Provider(spec);
        }
    }
}
