package io.wasminference.runtime;

import io.wasminference.errors.ErrorKind;
import io.wasminference.errors.WasmInferenceException;
import io.wasminference.tensor.Tensor;
import io.wasminference.testutils.Fixtures;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Bisection of failed calls, with the {@code poison} fixture (it traps if any sample has x[0] == -1). */
class IsolatingRunnerTest {

    @Test
    void onlyThePoisonedSampleFailsAndOutcomesComeInSampleOrder() {
        List<Map<String, Tensor>> samples = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            samples.add(Map.of("x", Tensor.ofFloats(new int[] {4}, i == 11 ? -1 : i, 0, 0, 0)));
        }
        List<String> events = new ArrayList<>();
        List<Integer> callSizes = new ArrayList<>();
        try (WasmModel model = WasmModel.load(Fixtures.wasm("poison"), SandboxLimits.defaults());
                ModelInstance instance = model.newInstance()) {
            IsolatingRunner.run(instance, 16, samples, new IsolatingRunner.Listener() {
                @Override
                public void callFailed(WasmInferenceException e, int batchSize) {
                    callSizes.add(-batchSize);
                }

                @Override
                public void callSucceeded(int batchSize, long micros) {
                    callSizes.add(batchSize);
                }

                @Override
                public void predicted(int position, List<Tensor> outputs, int row, int batchSize, long micros) {
                    assertThat(outputs.get(0).sample(row).toFloats()[0]).isEqualTo(position);
                    events.add("ok " + position);
                }

                @Override
                public void failed(int position, WasmInferenceException e) {
                    assertThat(e.kind()).isEqualTo(ErrorKind.TRAP);
                    events.add("failed " + position);
                }
            });
        }
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            expected.add((i == 11 ? "failed " : "ok ") + i);
        }
        assertThat(events).isEqualTo(expected);
        // 0-15 fails; 0-7 ok, 8-15 fails; 8-11 fails: 8-9 ok, 10-11 fails: 10 ok, 11 fails; 12-15 ok; 16-19 ok.
        assertThat(callSizes).containsExactly(-16, 8, -8, -4, 2, -2, 1, -1, 4, 4);
    }
}
