package io.wasminference.compiler;

import io.wasminference.abi.DType;
import io.wasminference.runtime.ModelInstance;
import io.wasminference.runtime.SandboxLimits;
import io.wasminference.runtime.WasmModel;
import io.wasminference.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static io.wasminference.compiler.OnnxBuilder.attr;

class TmpDwTest {
    @Test
    void dw() throws Exception {
        int c = 88, h = 12, w = 24, k = 5;
        float[] wt = new float[c * k * k];
        for (int i = 0; i < wt.length; i++) wt[i] = (i % 7) * 0.1f;
        for (String kind : new String[] {"dw", "pw", "full"}) {
            OnnxBuilder b = new OnnxBuilder().input("x", -1, c, h, w);
            if (kind.equals("dw")) {
                b.weight("w", wt, c, 1, k, k).node("Conv", new String[] {"x", "w"}, new String[] {"y"},
                        attr("group", c), attr("pads", 2, 2, 2, 2));
            } else if (kind.equals("pw")) {
                b.weight("w", new float[c * c], c, c, 1, 1).node("Conv", new String[] {"x", "w"}, new String[] {"y"});
            } else {
                b.weight("w", new float[16 * c * 9], 16, c, 3, 3).node("Conv", new String[] {"x", "w"}, new String[] {"y"},
                        attr("pads", 1, 1, 1, 1));
            }
            CompiledModel m = OnnxCompiler.compile(b.output("y").build(), CompileOptions.builder().maxBatch(1).build());
            Files.write(Path.of("/tmp/nh/" + kind + ".wasm"), m.wasm());
            float[] x = new float[c * h * w];
            Tensor in = Tensor.ofFloats(new int[] {1, c, h, w}, x);
            try (WasmModel wm = WasmModel.load(m.wasm(), SandboxLimits.defaults()); ModelInstance inst = wm.newInstance()) {
                double best = 1e9;
                for (int i = 0; i < 2000; i++) {
                    long t0 = System.nanoTime();
                    inst.run(List.of(in));
                    best = Math.min(best, (System.nanoTime() - t0) / 1e3);
                }
                System.err.printf("%s wasm %.1f us%n", kind, best);
            }
        }
    }
}
