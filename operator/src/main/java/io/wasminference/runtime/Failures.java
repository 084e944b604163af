package io.wasminference.runtime;

import io.github.kawamuray.wasmtime.Trap;
import io.github.kawamuray.wasmtime.WasmFunctionError;
import io.wasminference.abi.MemoryPlan;
import io.wasminference.errors.ModelOutOfMemoryException;
import io.wasminference.errors.ModelStackOverflowException;
import io.wasminference.errors.ModelTimeoutException;
import io.wasminference.errors.ModelTrapException;
import io.wasminference.errors.WasmInferenceException;

import java.util.Locale;

/** How a failed call into a module maps onto {@link io.wasminference.errors.ErrorKind}s, for every module kind. */
final class Failures {
    private Failures() {}

    /**
     * Maps a Wasmtime failure to a typed error. Instantiation errors carry no trap code in wasmtime-java, so a
     * failure that came after the deadline had passed is taken as the epoch interrupt: nothing else fires then.
     *
     * @param pages the memory's size in pages when it failed, -1 if unknown
     */
    static WasmInferenceException classify(RuntimeException e, String model, String during, long timeoutMillis,
            long startedNanos, MemoryPlan plan, long pages, long maxWasmStackBytes) {
        Trap trap = e instanceof WasmFunctionError.TrapError te ? te.trap() : null;
        String text = String.valueOf(e.getMessage()).toLowerCase(Locale.ROOT);
        boolean pastDeadline = System.nanoTime() - startedNanos >= timeoutMillis * 1_000_000L;
        if (trap == Trap.INTERRUPT || (trap == null && (text.contains("interrupt") || pastDeadline))) {
            return new ModelTimeoutException("model " + model + " did not finish " + during + " within its "
                    + timeoutMillis + " ms deadline and was interrupted. The instance is replaced. If the model is "
                    + "just slow, raise the call timeout or lower the batch size; if it never finishes, fix the model.",
                    e);
        }
        if (trap == Trap.STACK_OVERFLOW) {
            return new ModelStackOverflowException("model " + model + " overflowed the wasm stack ("
                    + (maxWasmStackBytes >> 10) + " KiB) during " + during
                    + ": runaway recursion. The instance is replaced.", e);
        }
        // Out of memory only when the module grew its memory up to the sandbox's cap: at a maximum the module
        // declared itself (a fixed-size memory, say) a trap is the module's own, and raising the limit would not help.
        boolean grewToMax = pages >= plan.maxPages() && pages > plan.minPages();
        if (grewToMax && plan.cappedBySandbox()) {
            return new ModelOutOfMemoryException("model " + model + " trapped (" + (trap != null ? trap : e.getMessage())
                    + ") during " + during + " with its memory at the sandbox's cap of "
                    + MemoryPlan.describePages(plan.maxPages()) + ". The instance is replaced. Raise the memory "
                    + "limit if the model legitimately needs more, or lower the batch size.", e);
        }
        String memoryNote = "";
        if (grewToMax) {
            memoryNote = " Its memory had grown to the module's own declared maximum of "
                    + MemoryPlan.describePages(plan.maxPages()) + ", where memory.grow fails: if it ran out of "
                    + "memory, declare a larger maximum (within the sandbox's cap).";
        } else if (trap == Trap.UNREACHABLE_CODE_REACHED && pages >= 0) {
            // What a C or Rust module does when an allocation fails: memory.grow returned -1 because the request
            // was larger than what is left below the maximum, and the module aborted.
            memoryNote = " Its memory was " + MemoryPlan.describePages(pages) + " of the "
                    + MemoryPlan.describePages(plan.maxPages()) + " it may grow to (" + (plan.cappedBySandbox()
                            ? "the sandbox's cap" : "its own declared maximum") + "); memory.grow returns -1 for a "
                    + "request larger than what is left, so if this followed a failed allocation, raise the "
                    + (plan.cappedBySandbox() ? "memory limit" : "module's maximum") + " or lower the batch size.";
        }
        String code = trap != null ? trap.name() : "UNKNOWN";
        return new ModelTrapException(code, "model " + model + " trapped during " + during + ": "
                + (trap != null ? trap : e.getMessage()) + ". The instance is replaced." + memoryNote, e);
    }

}
