package io.wasminference.jobs;

import io.wasminference.abi.ModelKind;
import io.wasminference.abi.ModelMetadata;
import io.wasminference.errors.ErrorKind;
import io.wasminference.errors.WasmInferenceException;
import io.wasminference.format.JsonSampleCodec;
import io.wasminference.format.Sample;
import io.wasminference.jobs.cli.JsonLines;
import io.wasminference.jobs.cli.Locations;
import io.wasminference.jobs.cli.UsageException;
import io.wasminference.runtime.IsolatingRunner;
import io.wasminference.runtime.ModelInstance;
import io.wasminference.runtime.SandboxLimits;
import io.wasminference.runtime.WasmModel;
import io.wasminference.tensor.Tensor;
import io.wasminference.tensor.TopK;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code predict MODEL --input FILE}: runs every sample of a JSON-lines file through the model in the sandbox. */
@Command(name = "predict",
        customSynopsis = "${COMMAND-FULL-NAME} MODEL --input FILE [OPTION]...",
        description = {
            "Run the samples of a file through a model in the sandbox.",
            "",
            "Runs the samples of a JSON-lines file (.jsonl or .jsonl.gz, or sample:NAME for a bundled test set) and "
                + "prints outputs, top-1 labels and, where samples carry a label, the accuracy. A batch the model "
                + "fails on is retried in halves, as the streaming job does, so only the failing samples are lost; "
                + "--batch-budget-ms bounds how long one batch is retried.",
            "",
            "MODEL may be an ONNX file (compiled on load). --outputs prints every output tensor of every sample, a "
                + "classifier's too; --json prints one JSON line per sample {id, outputs: {name: [...]}} (the summary "
                + "then goes to stderr), to compare with a framework."})
final class PredictCommand implements Callable<Integer> {
    private final PrintStream out;

    @Parameters(paramLabel = "MODEL", description = "a path, a URI, sample:NAME or an ONNX file")
    String modelLocation;

    @Option(names = "--input", required = true, paramLabel = "FILE",
            description = "JSON lines of samples, or sample:NAME")
    String inputLocation;

    @Option(names = "--batch", paramLabel = "N", defaultValue = "64",
            description = "samples per call, at most the model's max batch (default ${DEFAULT-VALUE})")
    int batchOption;

    @Option(names = "--limit", paramLabel = "N", description = "only the first N samples")
    Integer limitOption;

    @Option(names = "--summary", description = "print only the totals and the accuracy")
    boolean summaryOnly;

    @Option(names = "--outputs", description = "print every output tensor")
    boolean outputs;

    @Option(names = "--json", description = "one JSON line per sample on stdout")
    boolean json;

    @Option(names = "--timeout-ms", paramLabel = "MS", defaultValue = "10000",
            description = "deadline of one wasm call (default ${DEFAULT-VALUE})")
    int timeoutMs;

    @Option(names = "--startup-timeout-ms", paramLabel = "MS", defaultValue = "10000",
            description = "deadline of the instance's start-up (default ${DEFAULT-VALUE})")
    int startupTimeoutMs;

    @Option(names = "--batch-budget-ms", paramLabel = "MS",
            description = "longest a failed batch is retried in halves (default 3 call timeouts)")
    Integer batchBudgetMs;

    @Option(names = "--memory-mib", paramLabel = "MIB", defaultValue = "256",
            description = "linear memory cap (default ${DEFAULT-VALUE})")
    int memoryMib;

    PredictCommand(PrintStream out) {
        this.out = out;
    }

    @Override
    public Integer call() throws IOException {
        PrintStream out = this.out;
        String input = Locations.dataset(inputLocation);
        boolean summary = summaryOnly;
        Mode mode = json ? Mode.JSON : outputs ? Mode.OUTPUTS : Mode.DEFAULT;
        SandboxLimits limits = SandboxLimits.defaults()
                .withCallTimeout(Duration.ofMillis(timeoutMs))
                .withStartupTimeout(Duration.ofMillis(startupTimeoutMs))
                .withMemoryLimitBytes((long) memoryMib << 20);
        // The same default as the streaming job's batchTimeBudget: 3 call timeouts.
        Duration budget = Duration.ofMillis(batchBudgetMs != null ? batchBudgetMs
                : (int) Math.min(Integer.MAX_VALUE, limits.callTimeout().toMillis() * 3));
        if (budget.isNegative()) {
            throw new UsageException("--batch-budget-ms must not be negative");
        }
        byte[] wasm = Locations.model(modelLocation).load();
        List<String> lines = JsonLines.read(input);
        int limit = limitOption == null ? Integer.MAX_VALUE : limitOption;
        try (WasmModel model = WasmModel.load(wasm, limits); ModelInstance instance = model.newInstance()) {
            ModelMetadata meta = model.metadata();
            int batchSize = Math.max(1, Math.min(batchOption, meta.maxBatch()));
            JsonSampleCodec codec = new JsonSampleCodec(meta);
            List<Sample> batch = new ArrayList<>();
            List<Integer> lineNumbers = new ArrayList<>();
            Counts counts = new Counts();
            long start = System.nanoTime();
            for (int i = 0; i < lines.size() && counts.seen < limit; i++) {
                String line = lines.get(i);
                if (line.isBlank()) {
                    continue;
                }
                counts.seen++;
                try {
                    batch.add(codec.decode(line));
                    lineNumbers.add(i + 1);
                } catch (WasmInferenceException e) {
                    counts.rejected++;
                    out.println("line " + (i + 1) + ": REJECTED " + e.getMessage());
                    continue;
                }
                if (batch.size() == batchSize) {
                    flush(instance, meta, batchSize, budget, batch, lineNumbers, counts, out, summary, mode);
                }
            }
            flush(instance, meta, batchSize, budget, batch, lineNumbers, counts, out, summary, mode);
            double seconds = (System.nanoTime() - start) / 1e9;
            if (mode == Mode.JSON) {
                out = System.err; // stdout stays pure JSON lines
            }
            out.printf(Locale.ROOT, "model %s (sha256 %s): %d samples, %d predicted, %d rejected, %d failed, "
                    + "%.0f samples/s (batch %d)%n", meta.id(), model.sha256().substring(0, 12), counts.seen,
                    counts.predicted, counts.rejected, counts.failed, counts.predicted / seconds, batchSize);
            if (counts.labelled > 0) {
                out.printf(Locale.ROOT, "accuracy: %d / %d = %.4f%n", counts.correct, counts.labelled,
                        (double) counts.correct / counts.labelled);
            }
            return counts.rejected + counts.failed == 0 ? 0 : 1;
        }
    }

    /** Runs the buffered samples, isolating the ones the model fails on as the streaming job does. */
    private static void flush(ModelInstance instance, ModelMetadata meta, int batchSize, Duration budget,
            List<Sample> batch, List<Integer> lineNumbers, Counts counts, PrintStream out, boolean summary,
            Mode mode) {
        if (batch.isEmpty()) {
            return;
        }
        List<Map<String, Tensor>> inputs = batch.stream().map(Sample::inputs).toList();
        IsolatingRunner.run(instance, batchSize, inputs, budget, new IsolatingRunner.Listener() {
            @Override
            public void callFailed(WasmInferenceException e, int size) {
                // retried in halves while the budget lasts; the samples' outcomes are reported below
            }

            @Override
            public void callSucceeded(int size, long micros) {
            }

            @Override
            public void predicted(int position, List<Tensor> outputs, int row, int size, long micros) {
                printPrediction(meta, batch.get(position), outputs, row, counts, out, summary, mode);
            }

            @Override
            public void failed(int position, WasmInferenceException e) {
                printFailure(position, e, e.getMessage());
            }

            @Override
            public void failedTogether(int from, int to, WasmInferenceException e) {
                String reason = "in a group of " + (to - from) + " samples that failed (" + e.getMessage()
                        + ") and was not retried on its own: the batch's time budget of " + budget.toMillis()
                        + " ms (--batch-budget-ms) is spent; it may or may not be the cause";
                for (int position = from; position < to; position++) {
                    printFailure(position, e, reason);
                }
            }

            private void printFailure(int position, WasmInferenceException e, String reason) {
                boolean rejected = e.kind() == ErrorKind.INVALID_INPUT;
                if (rejected) {
                    counts.rejected++;
                } else {
                    counts.failed++;
                }
                Sample s = batch.get(position);
                out.println("line " + lineNumbers.get(position) + (s.id().isEmpty() ? "" : " ('" + s.id() + "')")
                        + ": " + (rejected ? "REJECTED" : "FAILED") + " (" + e.kind() + ") " + reason);
            }
        });
        batch.clear();
        lineNumbers.clear();
    }

    /** What each predicted sample prints. */
    private enum Mode { DEFAULT, OUTPUTS, JSON }

    private static void printPrediction(ModelMetadata meta, Sample s, List<Tensor> outputs, int i, Counts counts,
            PrintStream out, boolean summary, Mode mode) {
        counts.predicted++;
        StringBuilder line = new StringBuilder(s.id().isEmpty() ? "#" + counts.predicted : s.id());
        if (meta.kind() == ModelKind.CLASSIFIER) {
            TopK.Entry top = TopK.of(outputs.get(0).sample(i), 1).get(0);
            line.append(String.format(Locale.ROOT, "  %s (%.3f)", meta.label(top.index()), top.probability()));
            if (s.label().isPresent()) {
                counts.labelled++;
                boolean ok = s.label().getAsInt() == top.index();
                counts.correct += ok ? 1 : 0;
                line.append(ok ? "  correct" : "  WRONG, true " + meta.label(s.label().getAsInt()));
            }
        }
        if (meta.kind() != ModelKind.CLASSIFIER || mode == Mode.OUTPUTS) {
            for (int o = 0; o < outputs.size(); o++) {
                line.append("  ").append(meta.outputs().get(o).name()).append('=')
                        .append(outputs.get(o).isInteger() ? Arrays.toString(outputs.get(o).sample(i).toLongs())
                                : Arrays.toString(outputs.get(o).sample(i).toDoubles()));
            }
        }
        if (mode == Mode.JSON) {
            out.println(json(s, meta, outputs, i));
        } else if (!summary) {
            out.println(line);
        }
    }

    private static final com.fasterxml.jackson.databind.ObjectMapper MAPPER =
            new com.fasterxml.jackson.databind.ObjectMapper();

    /** {"id": ..., "outputs": {"name": [...]}} */
    private static String json(Sample s, ModelMetadata meta, List<Tensor> outputs, int i) {
        com.fasterxml.jackson.databind.node.ObjectNode root = MAPPER.createObjectNode();
        root.put("id", s.id());
        com.fasterxml.jackson.databind.node.ObjectNode outs = root.putObject("outputs");
        for (int o = 0; o < outputs.size(); o++) {
            com.fasterxml.jackson.databind.node.ArrayNode a = outs.putArray(meta.outputs().get(o).name());
            Tensor t = outputs.get(o).sample(i);
            if (t.isInteger()) {
                for (long v : t.toLongs()) { // exact: a double holds only 53 bits
                    a.add(v);
                }
            } else {
                for (double v : t.toDoubles()) {
                    a.add(v);
                }
            }
        }
        return root.toString();
    }

    private static final class Counts {
        int seen;
        int predicted;
        int rejected;
        int failed;
        int labelled;
        int correct;
    }
}
