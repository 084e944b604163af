package io.wasminference.jobs;

import io.wasminference.abi.ModelKind;
import io.wasminference.abi.ModelMetadata;
import io.wasminference.errors.ErrorKind;
import io.wasminference.errors.WasmInferenceException;
import io.wasminference.format.JsonSampleCodec;
import io.wasminference.format.Sample;
import io.wasminference.jobs.cli.Args;
import io.wasminference.jobs.cli.JsonLines;
import io.wasminference.jobs.cli.Locations;
import io.wasminference.jobs.cli.ModuleKinds;
import io.wasminference.runtime.IsolatingRunner;
import io.wasminference.runtime.ModelInstance;
import io.wasminference.runtime.SandboxLimits;
import io.wasminference.runtime.WasmModel;
import io.wasminference.tensor.Tensor;
import io.wasminference.tensor.TopK;

import java.io.IOException;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** {@code predict MODEL --input FILE}: runs every sample of a JSON-lines file through the model in the sandbox. */
final class PredictCommand {
    static final String USAGE = "predict MODEL --input FILE [--batch N] [--limit N] [--summary] [--outputs | --json]\n"
            + "        [--timeout-ms N] [--startup-timeout-ms N] [--batch-budget-ms N] [--memory-mib N]\n"
            + "        [--abi v1|tvm-standalone]  (tvm-standalone: a TVM wasm-standalone module, docs/tvm-standalone.md)\n"
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
                "batch-budget-ms", "memory-mib", ModuleKinds.OPTION), Set.of("summary", "outputs", "json"));
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
        byte[] wasm = ModuleKinds.model(args.positional().get(0),
                ModuleKinds.parse(args.get(ModuleKinds.OPTION, "v1"))).load();
        List<String> lines = JsonLines.read(input);
        int limit = args.intValue("limit", Integer.MAX_VALUE);
        try (WasmModel model = WasmModel.load(wasm, limits); ModelInstance instance = model.newInstance()) {
            ModelMetadata meta = model.metadata();
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
