package io.wasminference.jobs;

import io.wasminference.abi.ModelKind;
import io.wasminference.abi.ModelMetadata;
import io.wasminference.errors.WasmInferenceException;
import io.wasminference.format.JsonSampleCodec;
import io.wasminference.format.Sample;
import io.wasminference.jobs.cli.Args;
import io.wasminference.jobs.cli.JsonLines;
import io.wasminference.jobs.cli.Locations;
import io.wasminference.runtime.ModelInstance;
import io.wasminference.runtime.SamplesWriter;
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
            + "        [--timeout-ms N]\n"
            + "    Run the samples of a JSON-lines file (.jsonl or .jsonl.gz, or sample:NAME for a bundled test set)\n"
            + "    and print outputs, top-1 labels and, where samples carry a label, the accuracy. MODEL may be an ONNX\n"
            + "    file (compiled on load). --outputs prints every output tensor of every sample, a classifier's\n"
            + "    too; --json prints one JSON line per sample {id, outputs: {name: [...]}} to compare with a framework.";

    private PredictCommand() {}

    static int run(String[] argv, PrintStream out) throws IOException {
        Args args = Args.parse(argv, 1, Set.of("input", "batch", "limit", "timeout-ms", "memory-mib"),
                Set.of("summary", "outputs", "json"));
        if (args.positional().size() != 1) {
            throw new Args.UsageException("predict takes exactly one MODEL");
        }
        String input = Locations.dataset(args.require("input"));
        boolean summary = args.flag("summary");
        Mode mode = args.flag("json") ? Mode.JSON : args.flag("outputs") ? Mode.OUTPUTS : Mode.DEFAULT;
        SandboxLimits limits = SandboxLimits.defaults()
                .withCallTimeout(Duration.ofMillis(args.intValue("timeout-ms", 10_000)))
                .withMemoryLimitBytes((long) args.intValue("memory-mib", 256) << 20);
        byte[] wasm = Locations.model(args.positional().get(0)).load();
        List<String> lines = JsonLines.read(input);
        int limit = args.intValue("limit", Integer.MAX_VALUE);
        try (WasmModel model = WasmModel.load(wasm, limits); ModelInstance instance = model.newInstance()) {
            ModelMetadata meta = model.metadata();
            int batchSize = Math.max(1, Math.min(args.intValue("batch", 64), meta.maxBatch()));
            JsonSampleCodec codec = new JsonSampleCodec(meta);
            List<Sample> batch = new ArrayList<>();
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
                } catch (WasmInferenceException e) {
                    counts.rejected++;
                    out.println("line " + (i + 1) + ": REJECTED " + e.getMessage());
                    continue;
                }
                if (batch.size() == batchSize) {
                    flush(instance, meta, batch, counts, out, summary, mode);
                }
            }
            flush(instance, meta, batch, counts, out, summary, mode);
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

    /** What each predicted sample prints. */
    private enum Mode { DEFAULT, OUTPUTS, JSON }

    private static void flush(ModelInstance instance, ModelMetadata meta, List<Sample> batch, Counts counts,
            PrintStream out, boolean summary, Mode mode) {
        if (batch.isEmpty()) {
            return;
        }
        List<Map<String, Tensor>> inputs = batch.stream().map(Sample::inputs).toList();
        List<Tensor> outputs;
        try {
            outputs = instance.run(batch.size(), new SamplesWriter(inputs));
        } catch (WasmInferenceException e) {
            counts.failed += batch.size();
            out.println("batch of " + batch.size() + " starting at '" + batch.get(0).id() + "': FAILED (" + e.kind()
                    + ") " + e.getMessage());
            batch.clear();
            return;
        }
        for (int i = 0; i < batch.size(); i++) {
            Sample s = batch.get(i);
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
                            .append(Arrays.toString(outputs.get(o).sample(i).toDoubles()));
                }
            }
            if (mode == Mode.JSON) {
                out.println(json(s, meta, outputs, i));
            } else if (!summary) {
                out.println(line);
            }
        }
        batch.clear();
    }

    private static String json(Sample s, ModelMetadata meta, List<Tensor> outputs, int i) {
        StringBuilder sb = new StringBuilder("{\"id\":");
        sb.append(JSON_STRING.apply(s.id())).append(",\"outputs\":{");
        for (int o = 0; o < outputs.size(); o++) {
            sb.append(o > 0 ? "," : "").append(JSON_STRING.apply(meta.outputs().get(o).name())).append(":")
                    .append(Arrays.toString(outputs.get(o).sample(i).toDoubles()).replace(" ", ""));
        }
        return sb.append("}}").toString();
    }

    private static final com.fasterxml.jackson.databind.ObjectMapper MAPPER =
            new com.fasterxml.jackson.databind.ObjectMapper();

    private static final java.util.function.Function<String, String> JSON_STRING = v -> {
        try {
            return MAPPER.writeValueAsString(v);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    };

    private static final class Counts {
        int seen;
        int predicted;
        int rejected;
        int failed;
        int labelled;
        int correct;
    }
}
