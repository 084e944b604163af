package io.wasminference.jobs;

import io.wasminference.abi.ModelKind;
import io.wasminference.abi.ModelMetadata;
import io.wasminference.abi.TensorSpec;
import io.wasminference.errors.ErrorKind;
import io.wasminference.errors.WasmInferenceException;
import io.wasminference.format.JsonSampleCodec;
import io.wasminference.format.Sample;
import io.wasminference.jobs.cli.Args;
import io.wasminference.jobs.cli.JsonLines;
import io.wasminference.jobs.cli.Locations;
import io.wasminference.model.ModelRef;
import io.wasminference.predict.Outcome;
import io.wasminference.predict.Predictor;
import io.wasminference.predict.PredictorConfig;
import io.wasminference.record.ClassScore;
import io.wasminference.runtime.SandboxLimits;
import io.wasminference.tensor.Tensor;

import java.io.IOException;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/** {@code predict MODEL --input FILE}: runs every sample of a JSON-lines file through the model in the sandbox. */
final class PredictCommand {
    static final String USAGE = "predict MODEL --input FILE [--batch N] [--limit N] [--summary] [--outputs | --json]\n"
            + "        [--timeout-ms N] [--startup-timeout-ms N] [--batch-budget-ms N] [--memory-mib N]\n"
            + "    Run the samples of a JSON-lines file (.jsonl or .jsonl.gz, or sample:NAME for a bundled test set)\n"
            + "    and print outputs, top-1 labels and, where samples carry a label, the accuracy. A batch the model\n"
            + "    fails on is retried in halves, as the streaming job does, so only the failing samples are lost;\n"
            + "    --batch-budget-ms bounds how long one batch is retried (default 3 call timeouts).\n"
            + "    MODEL may be an ONNX file (compiled on load). --outputs prints every output tensor of every sample,\n"
            + "    a classifier's too; --json prints one JSON line per sample {id, outputs: {name: [...]}} (the\n"
            + "    summary then goes to stderr), to compare with a framework.";

    private PredictCommand() {}

    static int run(String[] argv, PrintStream out) throws IOException {
        Args args = Args.parse(argv, 1, Set.of("input", "batch", "limit", "timeout-ms", "startup-timeout-ms",
                "batch-budget-ms", "memory-mib"), Set.of("summary", "outputs", "json"));
        if (args.positional().size() != 1) {
            throw new Args.UsageException("predict takes exactly one MODEL");
        }
        String input = Locations.dataset(args.require("input"));
        boolean summary = args.flag("summary");
        Mode mode = args.flag("json") ? Mode.JSON : args.flag("outputs") ? Mode.OUTPUTS : Mode.DEFAULT;
        SandboxLimits limits = SandboxLimits.defaults()
                .withCallTimeout(Duration.ofMillis(args.intValue("timeout-ms", 10_000)))
                .withStartupTimeout(Duration.ofMillis(args.intValue("startup-timeout-ms", 10_000)))
                .withMemoryLimitBytes((long) args.intValue("memory-mib", 256) << 20);
        // The same default as the streaming job's batchTimeBudget: 3 call timeouts.
        Duration budget = Duration.ofMillis(args.intValue("batch-budget-ms",
                (int) Math.min(Integer.MAX_VALUE, limits.callTimeout().toMillis() * 3)));
        if (budget.isNegative()) {
            throw new Args.UsageException("--batch-budget-ms must not be negative");
        }
        ModelRef ref = Locations.model(args.positional().get(0));
        byte[] wasm = ref.load();
        List<String> lines = JsonLines.read(input);
        int limit = args.intValue("limit", Integer.MAX_VALUE);
        // No output limit here (that protects a sink's message size); top-1 with its label.
        PredictorConfig config = PredictorConfig.of(limits).withTopK(1).withBatchTimeBudget(budget)
                .withMaxOutputBytes(Long.MAX_VALUE);
        try (Predictor predictor = Predictor.create(wasm, ref.location(), config, m -> { })) {
            ModelMetadata meta = predictor.metadata();
            int batchSize = Math.max(1, Math.min(args.intValue("batch", 64), meta.maxBatch()));
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
