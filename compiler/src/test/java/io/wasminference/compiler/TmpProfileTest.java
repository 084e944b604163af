package io.wasminference.compiler;

import io.wasminference.abi.DType;
import io.wasminference.runtime.ModelInstance;
import io.wasminference.runtime.SandboxLimits;
import io.wasminference.runtime.WasmModel;
import io.wasminference.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

class TmpProfileTest {
    @Test
    void profile() throws Exception {
        CompiledModel c = OnnxCompiler.compile(PaddleClsTest.onnx(), PaddleClsTest.options(1));
        byte[] wasm = c.wasm();
        Files.write(Path.of("/tmp/nh/paddle1.wasm"), wasm);
        String[] lines = c.report().plan().split("\n");
        // find plan magic in the bytes
        int at = -1;
        for (int i = 0; i + 4 < wasm.length; i++) {
            if (wasm[i] == 'W' && wasm[i + 1] == 'I' && wasm[i + 2] == 'G' && wasm[i + 3] == '1') { at = i; break; }
        }
        ByteBuffer bb = ByteBuffer.wrap(wasm).order(ByteOrder.LITTLE_ENDIAN);
        int nOps = bb.getInt(at + 24);
        byte[] data = new byte[3 * 48 * 192];
        for (int i = 0; i < data.length; i++) data[i] = (byte) ((i * 2654435761L) >>> 24);
        Tensor in = Tensor.wrap(DType.U8, new int[] {1, 3, 48, 192}, data);
        double prev = 0;
        StringBuilder sb = new StringBuilder();
        for (int k = 1; k <= nOps; k++) {
            bb.putInt(at + 24, k);
            double best = Double.MAX_VALUE;
            try (WasmModel m = WasmModel.load(wasm.clone(), SandboxLimits.defaults()); ModelInstance inst = m.newInstance()) {
                for (int r = 0; r < 200; r++) {
                    long t0 = System.nanoTime();
                    try { inst.run(List.of(in)); } catch (RuntimeException e) { /* outputs unwritten: fine */ }
                    best = Math.min(best, (System.nanoTime() - t0) / 1e3);
                }
            }
            sb.append(String.format("%d %.1f %.1f %s%n", k, best, best - prev, lines[k - 1]));
            prev = best;
        }
        Files.writeString(Path.of("/tmp/nh/wasm-profile.txt"), sb.toString());
    }
}
