package io.wasminference.bench.kernel;

import io.wasminference.bench.BenchModel;
import io.wasminference.runtime.ModelInstance;
import io.wasminference.runtime.SandboxLimits;
import io.wasminference.runtime.WasmModel;

/** The runtime as a user calls it: {@link ModelInstance#run(int, io.wasminference.runtime.BatchWriter)}. */
public final class WasmRunner implements Runner {
    private final WasmModel model;
    private final ModelInstance instance;

    public WasmRunner(BenchModel m, boolean simd) {
        this(m.wasm(simd));
    }

    /** Any build of a sample model, e.g. one from an earlier commit ({@link WasmCallTimer}). */
    public WasmRunner(byte[] wasm) {
        this.model = WasmModel.load(wasm, SandboxLimits.defaults());
        this.instance = model.newInstance();
    }

    @Override
    public Object run(int batch, byte[] inputs) {
        return instance.run(batch, (index, spec, target) -> target.put(inputs, 0, (int) (batch * spec.sampleBytes())));
    }

    @Override
    public byte[] logits(int batch, byte[] inputs) {
        return instance.run(batch, (index, spec, target) -> target.put(inputs, 0, (int) (batch * spec.sampleBytes())))
                .get(0).toByteArray();
    }

    @Override
    public void close() {
        instance.close();
        model.close();
    }
}
