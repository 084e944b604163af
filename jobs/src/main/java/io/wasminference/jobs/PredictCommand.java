package io.wasminference.jobs;

import io.wasminference.abi.ModelKind;
import io.wasminference.abi.ModelMetadata;
import io.wasminference.abi.TensorSpec;
import io.wasminference.errors.ErrorKind;
import io.wasminference.errors.WasmInferenceException;
import io.wasminference.format.JsonSampleCodec;
import io.wasminference.format.Sample;
import io.wasminference.jobs.cli.JsonLines;
import io.wasminference.jobs.cli.Locations;
import io.wasminference.jobs.cli.ModuleKinds;
import io.wasminference.jobs.cli.UsageException;
import io.wasminference.model.ModelRef;
import io.wasminference.predict.Outcome;
import io.wasminference.predict.Predictor;
import io.wasminference.predict.PredictorConfig;
import io.wasminference.record.ClassScore;
import io.wasminference.runtime.SandboxLimits;
import io.wasminference.tensor.Tensor;
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

    @Option(names = "--abi", paramLabel = "KIND", defaultValue = "v1",
            description = "the model's contract: v1, or tvm-standalone for a TVM wasm-standalone module with its "
                    + "sidecar MODEL.tvm.txt (docs/tvm-standalone.md)")
    String abi;

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
        ModelRef ref = ModuleKinds.model(modelLocation, ModuleKinds.parse(abi));
        byte[] wasm = ref.load();
        List<String> lines = JsonLines.read(input);
        int limit = limitOption == null ? Integer.MAX_VALUE : limitOption;
        // No output limit here (that protects a sink's message size); top-1 with its label.
        PredictorConfig config = PredictorConfig.of(limits).withTopK(1).withBatchTimeBudget(budget)
                .withMaxOutputBytes(Long.MAX_VALUE);
        try (Predictor predictor = Predictor.create(wasm, ref.location(), config, m -> { })) {
            ModelMetadata meta = predictor.metadata();
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
                    flush(predictor, budget, batch, lineNumbers, counts, out, summary, mode);
                }
            }
            flush(predictor, budget, batch, lineNumbers, counts, out, summary, mode);
            double seconds = (System.nanoTime() - start) / 1e9;
            if (mode == Mode.JSON) {
                out = System.err; // stdout stays pure JSON lines
            }
            out.printf(Locale.ROOT, "model %s (sha256 %s): %d samples, %d predicted, %d rejected, %d failed, "
                    + "%.0f samples/s (batch %d)%n", meta.id(), predictor.sha256().substring(0, 12), counts.seen,
                    counts.predicted, counts.rejected, counts.failed, counts.predicted / seconds, batchSize);
            if (counts.labelled > 0) {
                out.printf(Locale.ROOT, "accuracy: %d / %d = %.4f%n", counts.correct, counts.labelled,
                        (double) counts.correct / counts.labelled);
            }
            return counts.rejected + counts.failed == 0 ? 0 : 1;
        }
    }

    /** Runs the buffered samples, isolating the ones the model fails on as the streaming job does. */
    private static void flush(Predictor predictor, Duration budget, List<Sample> batch, List<Integer> lineNumbers,
            Counts counts, PrintStream out, boolean summary, Mode mode) {
        if (batch.isEmpty()) {
            return;
        }
        List<Outcome> outcomes = predictor.infer(batch.stream().map(Sample::inputs).toList());
        for (int i = 0; i < outcomes.size(); i++) {
            Sample s = batch.get(i);
            if (outcomes.get(i) instanceof Outcome.Predicted hit) {
                printPrediction(predictor.metadata(), s, hit, counts, out, summary, mode);
                continue;
            }
            Outcome.Failed f = (Outcome.Failed) outcomes.get(i);
            String reason = f.groupSize() == 1 ? f.reason() : "in a group of " + f.groupSize() + " samples that "
                    + "failed (" + f.error().getMessage() + ") and was not retried on its own: the batch's time budget "
                    + "of " + budget.toMillis() + " ms (--batch-budget-ms) is spent; it may or may not be the cause";
            boolean rejected = f.errorKind().equals(ErrorKind.INVALID_INPUT.name());
            if (rejected) {
                counts.rejected++;
            } else {
                counts.failed++;
            }
            out.println("line " + lineNumbers.get(i) + (s.id().isEmpty() ? "" : " ('" + s.id() + "')") + ": "
                    + (rejected ? "REJECTED" : "FAILED") + " (" + f.errorKind() + ") " + reason);
        }
        batch.clear();
        lineNumbers.clear();
    }

    /** What each predicted sample prints. */
    private enum Mode { DEFAULT, OUTPUTS, JSON }

    private static void printPrediction(ModelMetadata meta, Sample s, Outcome.Predicted hit, Counts counts,
            PrintStream out, boolean summary, Mode mode) {
        counts.predicted++;
        StringBuilder line = new StringBuilder(s.id().isEmpty() ? "#" + counts.predicted : s.id());
        if (meta.kind() == ModelKind.CLASSIFIER) {
            ClassScore top = hit.topK().get(0);
            line.append(String.format(Locale.ROOT, "  %s (%.3f)", top.label(), top.probability()));
            if (s.label().isPresent()) {
                counts.labelled++;
                boolean ok = s.label().getAsInt() == top.index();
                counts.correct += ok ? 1 : 0;
                line.append(ok ? "  correct" : "  WRONG, true " + meta.label(s.label().getAsInt()));
            }
        }
        if (meta.kind() != ModelKind.CLASSIFIER || mode == Mode.OUTPUTS) {
            for (TensorSpec spec : meta.outputs()) {
                Tensor t = hit.outputs().get(spec.name());
                line.append("  ").append(spec.name()).append('=')
                        .append(t.isInteger() ? Arrays.toString(t.toLongs()) : Arrays.toString(t.toDoubles()));
            }
        }
        if (mode == Mode.JSON) {
            out.println(json(s, meta, hit));
        } else if (!summary) {
            out.println(line);
        }
    }

    private static final com.fasterxml.jackson.databind.ObjectMapper MAPPER =
            new com.fasterxml.jackson.databind.ObjectMapper();

    /** {"id": ..., "outputs": {"name": [...]}} */
    private static String json(Sample s, ModelMetadata meta, Outcome.Predicted hit) {
        com.fasterxml.jackson.databind.node.ObjectNode root = MAPPER.createObjectNode();
        root.put("id", s.id());
        com.fasterxml.jackson.databind.node.ObjectNode outs = root.putObject("outputs");
        for (TensorSpec spec : meta.outputs()) {
            com.fasterxml.jackson.databind.node.ArrayNode a = outs.putArray(spec.name());
            Tensor t = hit.outputs().get(spec.name());
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
