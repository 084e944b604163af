package io.wasminference.compiler;

import io.wasminference.abi.DType;
import io.wasminference.abi.ModelKind;
import io.wasminference.runtime.ModelInstance;
import io.wasminference.runtime.SandboxLimits;
import io.wasminference.runtime.WasmModel;
import io.wasminference.tensor.Tensor;
import io.wasminference.testutils.Fixtures;
import org.junit.jupiter.api.Test;

import java.util.List;

class TmpPerfTest {
    static long best(ModelInstance inst, Tensor in) {
        long best = Long.MAX_VALUE;
        for (int i = 0; i < 40; i++) {
            long t0 = System.nanoTime();
            inst.run(List.of(in));
            best = Math.min(best, System.nanoTime() - t0);
        }
        return best;
    }

    @Test
    void lenet_off() throws Exception {
        CompiledModel c = OnnxCompiler.compile(SampleModelsCompileTest.onnx("fashion-lenet5"),
                CompileOptions.builder().maxBatch(64).kind(ModelKind.CLASSIFIER).build());
        try (WasmModel m = WasmModel.load(c.wasm(), SandboxLimits.defaults()); ModelInstance inst = m.newInstance();
             WasmModel h = WasmModel.load(Fixtures.sample("fashion-lenet5", "model.wasm"), SandboxLimits.defaults());
             ModelInstance hi = h.newInstance()) {
            for (int b : new int[] {1, 64}) {
                byte[] data = new byte[b * 784];
                for (int i = 0; i < data.length; i++) data[i] = (byte) (i * 31);
                Tensor in = Tensor.wrap(DType.U8, new int[] {b, 28, 28}, data);
                for (int r = 0; r < 3; r++) {
                    long ours = best(inst, in), hand = best(hi, in);
                    System.err.printf("lenet batch %d: compiled %.1f us, hand %.1f us, ratio %.2f%n", b, ours / 1e3, hand / 1e3, (double) ours / hand);
                }
            }
        }
    }

    @Test
    void paddle() throws Exception {
        byte[] onnx = PaddleClsTest.onnx();
        CompiledModel c = OnnxCompiler.compile(onnx, PaddleClsTest.options(16));
        int per = 3 * 48 * 192;
        try (WasmModel m = WasmModel.load(c.wasm(), SandboxLimits.defaults()); ModelInstance inst = m.newInstance();
             OrtReference ort = new OrtReference(onnx)) {
            for (int b : new int[] {1, 16}) {
                byte[] data = new byte[b * per];
                for (int i = 0; i < data.length; i++) data[i] = (byte) (i * 31);
                Tensor in = Tensor.wrap(DType.U8, new int[] {b, 3, 48, 192}, data);
                float[] x = new float[b * per];
                for (int r = 0; r < 3; r++) {
                    long best = Long.MAX_VALUE, bestOrt = Long.MAX_VALUE;
                    for (int i = 0; i < 20; i++) {
                        long t0 = System.nanoTime();
                        inst.run(List.of(in));
                        long t1 = System.nanoTime();
                        ort.run("x", x, new long[] {b, 3, 48, 192});
                        long t2 = System.nanoTime();
                        best = Math.min(best, t1 - t0);
                        bestOrt = Math.min(bestOrt, t2 - t1);
                    }
                    System.err.printf("paddle batch %d: wasm %.0f us, ort %.0f us, ratio %.2f%n", b, best / 1e3, bestOrt / 1e3, (double) best / bestOrt);
                }
            }
        }
    }
}
