package io.wasminference.jobs;

import io.wasminference.compiler.CompileArgs;
import io.wasminference.compiler.CompileOptions;
import io.wasminference.compiler.CompiledModel;
import io.wasminference.compiler.OnnxCompiler;
import io.wasminference.jobs.cli.UsageException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Unmatched;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code compile MODEL.onnx -o MODEL.wasm [flags]}: the ONNX compiler (docs/compiler.md), on the JDK alone. The
 * compile flags are the compiler's {@link CompileArgs}, the one parser of them (also of the sidecar file); picocli
 * passes them through unparsed.
 */
@Command(name = "compile",
        customSynopsis = "${COMMAND-FULL-NAME} MODEL.onnx -o OUT.wasm [--plan] [COMPILE FLAG]...",
        description = {
            "Compile an ONNX model into a wasm module, with nothing but the JDK.",
            "",
            "The module follows ABI v1 (docs/compiler.md). Flags in MODEL.onnx.compile (the same flags, "
                + "whitespace-separated, # comments) apply first, then the command line's.",
            "",
            "compile flags (the compiler's own, also the sidecar file's syntax):",
            "  --name N                  the model's name (default: the file name)",
            "  --version V               its version",
            "  --max-batch N             most samples per call",
            "  --kind classifier|generic a classifier gets top-k predictions and labels",
            "  --labels a,b,c|FILE       class labels in output order, inline or one per line in FILE",
            "  --input NAME[:DTYPE][:SHAPE]",
            "                            an input's record dtype and one sample's shape, e.g. x:u8:3x48x192",
            "  --normalize NAME:scale=S,mean=A/B/C,std=A/B/C",
            "                            (x * scale - mean) / std per channel, inside the module",
            "  --description TEXT        a description for the metadata",
            "  --no-batch-axis           the whole tensors are one sample (dimension 0 is not a batch)",
            "  --allow-nonfinite         accept NaN and infinity in float inputs (refused by default)"})
final class CompileCommand implements Callable<Integer> {
    private final PrintStream out;

    @Option(names = {"-o", "--out"}, required = true, paramLabel = "OUT.wasm", description = "the module to write")
    Path output;

    @Option(names = "--plan", description = "also print the runtime's op list")
    boolean plan;

    /** MODEL.onnx and the compile flags, in order, for {@link CompileArgs}. */
    @Unmatched
    List<String> args = new ArrayList<>();

    CompileCommand(PrintStream out) {
        this.out = out;
    }

    @Override
    public Integer call() throws IOException {
        Path model = model(args);
        CompileOptions.Builder b = CompileOptions.builder();
        b.name(defaultName(model));
        Path sidecar = Path.of(model + ".compile");
        try {
            if (Files.exists(sidecar)) {
                List<String> unknown = CompileArgs.apply(CompileArgs.tokenize(Files.readString(sidecar)), b,
                        CompileCommand::labels);
                if (!unknown.isEmpty()) {
                    throw new UsageException(sidecar + ": unknown arguments " + unknown);
                }
                out.println("options from " + sidecar);
            }
            CompileArgs.apply(args, b, CompileCommand::labels); // the command line wins
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        byte[] onnx = Files.readAllBytes(model);
        CompiledModel m = OnnxCompiler.compile(onnx, b.build());
        Files.write(output, m.wasm());
        out.println(m.report().summary());
        if (plan) {
            out.println(m.report().plan());
        }
        out.println("wrote " + output + " (" + m.wasm().length + " bytes): " + m.metadata().id() + ", inputs "
                + m.metadata().inputs() + ", outputs " + m.metadata().outputs());
        return 0;
    }

    /** The one argument that is not a compile flag: the ONNX file (found after the flags took their values). */
    private static Path model(List<String> args) {
        List<String> rest;
        try {
            rest = CompileArgs.apply(args, CompileOptions.builder(), file -> List.of());
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        for (String a : rest) {
            if (a.startsWith("-")) {
                throw new UsageException("unknown option " + a);
            }
        }
        if (rest.size() != 1) {
            throw new UsageException("compile takes one ONNX file" + (rest.isEmpty() ? "" : ", got " + rest));
        }
        return Path.of(rest.get(0));
    }

    private static List<String> labels(String file) {
        try {
            return Files.readAllLines(Path.of(file)).stream().map(String::strip).filter(l -> !l.isEmpty()).toList();
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("--labels " + file + ": no such file (inline labels are a,b,c)");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The file name without .onnx, as a valid model name. */
    static String defaultName(Path model) {
        String file = model.getFileName().toString().replaceFirst("(?i)\\.onnx$", "");
        String name = file.replaceAll("[^A-Za-z0-9._-]", "_");
        return name.isEmpty() ? "model" : name.length() > 64 ? name.substring(0, 64) : name;
    }
}
