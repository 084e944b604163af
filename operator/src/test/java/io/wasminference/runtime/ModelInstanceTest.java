package io.wasminference.runtime;

import io.wasminference.abi.DType;
import io.wasminference.errors.InvalidInputException;
import io.wasminference.tensor.Tensor;
import io.wasminference.testutils.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@Timeout(60)
class ModelInstanceTest {

    @Test
    void runsABatchThroughTheIdentityModel() {
        try (WasmModel model = WasmModel.load(Fixtures.wasm("identity"), SandboxLimits.defaults());
                ModelInstance instance = model.newInstance()) {
            float[] values = {1, 2, 3, 4, -5.5f, 6, 7, Float.MIN_VALUE, 9, 10, 11, 12};
            List<Tensor> out = instance.run(List.of(Tensor.ofFloats(new int[] {3, 4}, values)));
            assertThat(out).hasSize(1);
            assertThat(out.get(0).shape()).containsExactly(3, 4);
            assertThat(out.get(0).toFloats()).containsExactly(values);
            assertThat(instance.memoryBytes()).isGreaterThanOrEqualTo(65536);
        }
    }

    @Test
    void passesEveryDtypeThroughSeveralNamedInputsAndOutputs() {
        try (WasmModel model = WasmModel.load(Fixtures.wasm("multi_io"), SandboxLimits.defaults());
                ModelInstance instance = model.newInstance()) {
            int batch = 2;
            Tensor a = Tensor.ofFloats(new int[] {batch, 2}, 1.5f, 2.25f, -1f, 10f);
            Tensor b = Tensor.wrap(DType.I32, new int[] {batch, 3}, le(12, buf -> {
                buf.putInt(1).putInt(-2).putInt(Integer.MAX_VALUE / 2).putInt(7).putInt(0).putInt(-100);
            }));
            Tensor c = Tensor.wrap(DType.U8, new int[] {batch, 5}, new byte[] {0, 1, 2, (byte) 200, (byte) 255,
                10, 20, 30, 40, 50});
            Tensor d = Tensor.wrap(DType.I8, new int[] {batch, 1}, new byte[] {-128, 5});
            Tensor e = Tensor.wrap(DType.F64, new int[] {batch, 1}, le(2, buf -> buf.putDouble(3.0).putDouble(-1e300)));
            Tensor g = Tensor.wrap(DType.I64, new int[] {batch, 1},
                    le(2, buf -> buf.putLong(41).putLong(Long.MAX_VALUE)));
            List<Tensor> out = instance.run(List.of(a, b, c, d, e, g));

            assertThat(out).extracting(Tensor::dtype)
                    .containsExactly(DType.F32, DType.I32, DType.U8, DType.I8, DType.F64, DType.I64);
            assertThat(out.get(0).toFloats()).containsExactly(3.75f, 9f);
            assertThat(out.get(1).toDoubles()).containsExactly(2, -4, (Integer.MAX_VALUE / 2) * 2, 14, 0, -200);
            assertThat(out.get(2).toDoubles()).containsExactly(255, 254, 253, 55, 0, 245, 235, 225, 215, 205);
            assertThat(out.get(3).toDoubles()).containsExactly(-128, -5); // -(-128) wraps in i8
            assertThat(out.get(4).toDoubles()).containsExactly(1.5, -5e299);
            assertThat(out.get(5).buffer().getLong(0)).isEqualTo(42);
            assertThat(out.get(5).buffer().getLong(8)).isEqualTo(Long.MIN_VALUE); // wraps
        }
    }

    @Test
    void supportsAModuleThatExportsABoundedMemory() {
        try (WasmModel model = WasmModel.load(Fixtures.wasm("exported_memory"), SandboxLimits.defaults());
                ModelInstance instance = model.newInstance()) {
            assertThat(model.hostProvidedMemory()).isFalse();
            assertThat(instance.run(List.of(Tensor.ofFloats(new int[] {1, 4}, 1, 2, 3, 4))).get(0).toFloats())
                    .containsExactly(1, 2, 3, 4);
        }
    }

    @Test
    void rejectsBatchesOutsideTheDeclaredRangeAndWrongInputs() {
        try (WasmModel model = WasmModel.load(Fixtures.wasm("identity"), SandboxLimits.defaults());
                ModelInstance instance = model.newInstance()) {
            assertThatThrownBy(() -> instance.run(9, (i, spec, t) -> { }))
                    .isInstanceOf(InvalidInputException.class)
                    .hasMessageContaining("batch of 9 samples is outside 1..8");
            assertThatThrownBy(() -> instance.run(0, (i, spec, t) -> { }))
                    .isInstanceOf(InvalidInputException.class);
            assertThatThrownBy(() -> instance.run(2, (i, spec, t) -> t.putFloats(new float[4])))
                    .isInstanceOf(InvalidInputException.class)
                    .hasMessageContaining("16 of 32 bytes written");
            assertThatThrownBy(() -> instance.run(1, (i, spec, t) -> t.putFloats(new float[5])))
                    .isInstanceOf(InvalidInputException.class)
                    .hasMessageContaining("more than 16 bytes");
            assertThatThrownBy(() -> instance.run(List.of(Tensor.ofFloats(new int[] {1, 3}, 1, 2, 3))))
                    .isInstanceOf(InvalidInputException.class)
                    .hasMessageContaining("must be f32 [1, 4]");
            // None of that broke the instance.
            assertThat(instance.run(List.of(Tensor.ofFloats(new int[] {1, 4}, 4, 3, 2, 1))).get(0).toFloats())
                    .containsExactly(4, 3, 2, 1);
            assertThat(instance.restarts()).isZero();
        }
    }

    @Test
    void reportsTheModelsOwnInvalidInputStatusAndMessageAndKeepsTheInstance() {
        try (WasmModel model = WasmModel.load(Fixtures.wasm("invalid_input"), SandboxLimits.defaults());
                ModelInstance instance = model.newInstance()) {
            assertThatThrownBy(() -> instance.run(List.of(Tensor.ofFloats(new int[] {2, 4}, 1, 1, 1, 1, -1, 0, 0, 0))))
                    .isInstanceOf(InvalidInputException.class)
                    .hasMessageContaining("status INVALID_INPUT")
                    .hasMessageContaining("x[0] must be >= 0");
            assertThat(instance.run(List.of(Tensor.ofFloats(new int[] {1, 4}, 0, 1, 2, 3))).get(0).toFloats())
                    .containsExactly(0, 1, 2, 3);
            assertThat(instance.restarts()).isZero();
        }
    }

    @Test
    void aWriterKeptAfterItsBatchCannotTouchMemory() {
        try (WasmModel model = WasmModel.load(Fixtures.wasm("identity"), SandboxLimits.defaults())) {
            AtomicReference<TensorWriter> leaked = new AtomicReference<>();
            try (ModelInstance instance = model.newInstance()) {
                instance.run(1, (i, spec, t) -> {
                    leaked.set(t);
                    t.putFloats(new float[] {1, 2, 3, 4});
                });
            }
            assertThatThrownBy(() -> leaked.get().putFloats(new float[] {1}))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("outside the batch");
        }
    }

    @Test
    void closedInstancesAndModelsFailCleanlyInsteadOfCrashing() {
        WasmModel model = WasmModel.load(Fixtures.wasm("identity"), SandboxLimits.defaults());
        ModelInstance instance = model.newInstance();
        ModelInstance survivor = model.newInstance();
        model.close();
        model.close(); // idempotent
        assertThatThrownBy(model::newInstance).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("is closed");
        // Instances keep the compiled module alive after the model handle is closed.
        assertThat(survivor.run(List.of(Tensor.ofFloats(new int[] {1, 4}, 1, 2, 3, 4))).get(0).toFloats())
                .containsExactly(1, 2, 3, 4);
        instance.close();
        instance.close();
        assertThat(instance.isClosed()).isTrue();
        assertThat(instance.memoryBytes()).isZero();
        assertThatThrownBy(() -> instance.run(List.of(Tensor.ofFloats(new int[] {1, 4}, 1, 2, 3, 4))))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("is closed");
        survivor.close();
    }

    @Test
    void compilesOncePerContentHash() {
        int before = CompiledModule.cachedCount();
        try (WasmModel a = WasmModel.load(Fixtures.wasm("identity"), SandboxLimits.defaults());
                WasmModel b = WasmModel.load(Fixtures.wasm("identity"), SandboxLimits.defaults())) {
            assertThat(a.sha256()).isEqualTo(b.sha256()).hasSize(64);
            assertThat(CompiledModule.cachedCount()).isEqualTo(before + 1);
            try (WasmModel c = WasmModel.load(Fixtures.wasm("poison"), SandboxLimits.defaults())) {
                assertThat(CompiledModule.cachedCount()).isEqualTo(before + 2);
            }
        }
        assertThat(CompiledModule.cachedCount()).isEqualTo(before);
    }

    private interface Filler {
        void fill(ByteBuffer b);
    }

    private static byte[] le(int values8, Filler filler) {
        ByteBuffer b = ByteBuffer.allocate(values8 * 8).order(ByteOrder.LITTLE_ENDIAN);
        filler.fill(b);
        byte[] out = new byte[b.position()];
        System.arraycopy(b.array(), 0, out, 0, out.length);
        return out;
    }
}
