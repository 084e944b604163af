package io.wasminference.jobs;

import io.wasminference.compiler.CompileArgs;
import io.wasminference.compiler.CompileOptions;
import io.wasminference.compiler.CompiledModel;
import io.wasminference.compiler.OnnxCompiler;
import io.wasminference.jobs.cli.Args;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** {@code compile MODEL.onnx -o MODEL.wasm [options]}: the ONNX compiler (docs/compiler.md), on the JDK alone. */
final class CompileCommand {
    static final String USAGE = "compile MODEL.onnx -o OUT.wasm " + CompileArgs.USAGE.replace("\n", "\n   ")
            + " [--plan]\n"
            + "    Compile an ONNX model into an ABI v1 module (docs/compiler.md). Options in MODEL.onnx.compile (the\n"
            + "    same flags) apply first. --labels takes a file (one label per line) or a,b,c; --plan prints the\n"
            + "    runtime's op list.";

    private CompileCommand() {}

    static int run(String[] argv, PrintStream out) throws IOException {
        List<String> rest;
        CompileOptions.Builder b = CompileOptions.builder();
        List<String> args = new ArrayList<>(Arrays.asList(argv).subList(1, argv.length));
        Path model = args.stream().filter(a -> !a.startsWith("-")).findFirst().map(Path::of).orElse(null);
        if (model == null) {
            throw new Args.UsageException("compile takes an ONNX file");
        }
        b.name(defaultName(model));
        Path sidecar = Path.of(model + ".compile");
        try {
            if (Files.exists(sidecar)) {
                List<String> unknown = CompileArgs.apply(CompileArgs.tokenize(Files.readString(sidecar)), b,
                        CompileCommand::labels);
                if (!unknown.isEmpty()) {
                    throw new Args.UsageException(sidecar + ": unknown arguments " + unknown);
                }
                out.println("options from " + sidecar);
            }
            rest = CompileArgs.apply(args, b, CompileCommand::labels);
        } catch (IllegalArgumentException e) {
            throw new Args.UsageException(e.getMessage());
        }
        Path output = null;
        boolean plan = false;
        List<String> positional = new ArrayList<>();
        for (int i = 0; i < rest.size(); i++) {
            String a = rest.get(i);
            switch (a) {
                case "-o", "--out" -> {
                    if (i + 1 >= rest.size()) {
                        throw new Args.UsageException(a + " needs a file");
                    }
                    output = Path.of(rest.get(++i));
                }
                case "--plan" -> plan = true;
                default -> {
                    if (a.startsWith("-")) {
                        throw new Args.UsageException("unknown option '" + a + "'");
                    }
                    positional.add(a);
                }
            }
        }
        if (positional.size() != 1 || output == null) {
            throw new Args.UsageException("compile takes one ONNX file and -o OUT.wasm");
        }
        byte[] onnx;
        try {
            onnx = Files.readAllBytes(model);
        } catch (NoSuchFileException e) {
            throw e;
        }
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
