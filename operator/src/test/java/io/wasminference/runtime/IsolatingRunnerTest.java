package io.wasminference.runtime;

import io.wasminference.errors.ErrorKind;
import io.wasminference.errors.WasmInferenceException;
import io.wasminference.tensor.Tensor;
import io.wasminference.testutils.Fixtures;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/** Bisection of failed calls, with the {@code poison} fixture (it traps if any sample has x[0] == -1). */
class IsolatingRunnerTest {

    @Test
    void onlyThePoisonedSampleFailsAndOutcomesComeInSampleOrder() {
        // A clock that never moves: the budget is never spent, whatever the machine's load.
        Run run = run(11, Duration.ofSeconds(1), new AtomicLong(), 0);
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            expected.add((i == 11 ? "failed " : "ok ") + i);
        }
        assertThat(run.events).isEqualTo(expected);
        // 0-15 fails; 0-7 ok, 8-15 fails; 8-11 fails: 8-9 ok, 10-11 fails: 10 ok, 11 fails; 12-15 ok; 16-19 ok.
        assertThat(run.callSizes).containsExactly(-16, 8, -8, -4, 2, -2, 1, -1, 4, 4);
    }

    @Test
    void aZeroBudgetNeverSplitsAFailedCall() {
        Run run = run(11, Duration.ZERO, new AtomicLong(), 0);
        List<String> expected = new ArrayList<>();
        expected.add("failed together 0-16");
        for (int i = 16; i < 20; i++) {
            expected.add("ok " + i); // the next batch has a budget of its own, and does not fail anyway
        }
        assertThat(run.events).isEqualTo(expected);
        assertThat(run.callSizes).containsExactly(-16, 4);
    }

    @Test
    void onceTheBudgetIsSpentAFailedGroupIsReportedWholeAndTheWaitingHalvesRunOnce() {
        // Each failed call takes 6 s on this clock, the budget is 10 s: the first split happens, the second not.
        Run run = run(3, Duration.ofSeconds(10), new AtomicLong(), 6_000_000_000L);
        List<String> expected = new ArrayList<>();
        expected.add("failed together 0-8");
        for (int i = 8; i < 20; i++) {
            expected.add("ok " + i);
        }
        assertThat(run.events).isEqualTo(expected);
        // 0-15 fails at 6 s; 0-7 fails at 12 s, past the budget: reported whole; 8-15 ok; 16-19 ok.
        assertThat(run.callSizes).containsExactly(-16, -8, 8, 4);
    }

    private record Run(List<String> events, List<Integer> callSizes) {}

    /**
     * Runs 20 samples, sample {@code poisoned} poisoned, in calls of at most 16; every failed call advances
     * {@code clock} by {@code nanosPerFailure}.
     */
    private static Run run(int poisoned, Duration budget, AtomicLong clock, long nanosPerFailure) {
        List<Map<String, Tensor>> samples = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            samples.add(Map.of("x", Tensor.ofFloats(new int[] {4}, i == poisoned ? -1 : i, 0, 0, 0)));
        }
        List<String> events = new ArrayList<>();
        List<Integer> callSizes = new ArrayList<>();
        try (WasmModel model = WasmModel.load(Fixtures.wasm("poison"), SandboxLimits.defaults());
                ModelInstance instance = model.newInstance()) {
            IsolatingRunner.run(instance, 16, samples, budget, new IsolatingRunner.Listener() {
                @Override
                public void callFailed(WasmInferenceException e, int batchSize) {
                    callSizes.add(-batchSize);
                    clock.addAndGet(nanosPerFailure);
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

                @Override
                public void failedTogether(int from, int to, WasmInferenceException e) {
                    assertThat(e.kind()).isEqualTo(ErrorKind.TRAP);
                    events.add("failed together " + from + "-" + to);
                }
            }, clock::get);
        }
        return new Run(events, callSizes);
    }
}
