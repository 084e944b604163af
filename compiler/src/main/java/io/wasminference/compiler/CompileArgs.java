package io.wasminference.compiler;

import org.apache.flink.annotation.PublicEvolving;
import io.wasminference.abi.DType;
import io.wasminference.abi.ModelKind;
import io.wasminference.abi.Shape;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/**
 * The compile options as command-line flags: the {@code compile} command's, and the syntax of an ONNX model's
 * sidecar file ({@code model.onnx.compile}: the same flags, any whitespace between them, {@code #} comments).
 *
 * <pre>
 *   --name N  --version V  --max-batch N  --kind classifier|generic  --description TEXT
 *   --labels a,b,c             class labels, in output order (the compile command also takes --labels FILE)
 *   --input NAME[:DTYPE][:SHAPE]   e.g. x:u8:3x48x192 (record dtype; one sample's shape, for dynamic dims)
 *   --normalize NAME:scale=S,mean=M1/M2/M3,std=S1/S2/S3   (x * scale - mean) / std per channel, in the module
 *   --no-batch-axis            the whole tensors are one sample (dimension 0 is not a batch)
 *   --allow-nonfinite          accept NaN and infinity in float inputs (refused by default)
 * </pre>
 */
@PublicEvolving
public final class CompileArgs {
    /** The flags, for usage texts. */
    public static final String USAGE = "[--name N] [--version V] [--max-batch N] [--kind classifier|generic]\n"
            + "      [--labels a,b,c|FILE] [--input NAME[:DTYPE][:SHAPE]] [--normalize NAME:scale=S,mean=A/B/C,std=A/B/C]\n"
            + "      [--description TEXT] [--no-batch-axis] [--allow-nonfinite]";

    private CompileArgs() {}

    /** Splits a sidecar file into arguments: whitespace-separated, "quoted" values, # to end of line. */
    public static List<String> tokenize(String text) {
        List<String> out = new ArrayList<>();
        for (String line : text.split("\r?\n")) {
            StringBuilder cur = null;
            boolean quoted = false;
            for (int i = 0; i < line.length(); i++) {
                char c = line.charAt(i);
                if (c == '"') {
                    quoted = !quoted;
                    cur = cur == null ? new StringBuilder() : cur;
                } else if (!quoted && c == '#') {
                    break;
                } else if (!quoted && Character.isWhitespace(c)) {
                    if (cur != null) {
                        out.add(cur.toString());
                        cur = null;
                    }
                } else {
                    cur = cur == null ? new StringBuilder() : cur;
                    cur.append(c);
                }
            }
            if (quoted) {
                throw new IllegalArgumentException("unterminated quote in: " + line);
            }
            if (cur != null) {
                out.add(cur.toString());
            }
        }
        return out;
    }

    /**
     * Applies the flags to {@code b}.
     *
     * @param labelsFile reads a labels file for {@code --labels FILE} (null: labels are inline only)
     * @return the arguments that are not compile flags, in order
     * @throws IllegalArgumentException saying which flag is wrong and why
     */
    public static List<String> apply(List<String> args, CompileOptions.Builder b, Function<String, List<String>> labelsFile) {
        List<String> rest = new ArrayList<>();
        java.util.Map<String, InputOptions> inputs = new java.util.LinkedHashMap<>();
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            String flag = a.startsWith("--") && a.contains("=") ? a.substring(0, a.indexOf('=')) : a;
            String inline = flag.equals(a) ? null : a.substring(a.indexOf('=') + 1);
            switch (flag) {
                case "--no-batch-axis" -> b.batchAxis(false);
                case "--allow-nonfinite" -> b.rejectNonFinite(false);
                case "--name", "--version", "--max-batch", "--kind", "--labels", "--description", "--input",
                     "--input-name", "--normalize" -> {
                    String v = inline;
                    if (v == null) {
                        if (i + 1 >= args.size()) {
                            throw new IllegalArgumentException(flag + " needs a value");
                        }
                        v = args.get(++i);
                    }
                    value(flag, v, b, inputs, labelsFile);
                }
                default -> rest.add(a);
            }
        }
        inputs.values().forEach(b::input);
        return rest;
    }

    private static void value(String flag, String v, CompileOptions.Builder b, java.util.Map<String, InputOptions> inputs,
                              Function<String, List<String>> labelsFile) {
        switch (flag) {
            case "--name" -> b.name(v);
            case "--version" -> b.version(v);
            case "--description" -> b.description(v);
            case "--max-batch" -> {
                try {
                    b.maxBatch(Integer.parseInt(v));
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("--max-batch needs a number, got '" + v + "'");
                }
            }
            case "--kind" -> {
                try {
                    b.kind(ModelKind.valueOf(v.toUpperCase(Locale.ROOT)));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("--kind is classifier or generic, got '" + v + "'");
                }
            }
            case "--labels" -> b.labels(labelsFile != null && !v.contains(",") ? labelsFile.apply(v)
                    : Arrays.stream(v.split(",", -1)).map(String::strip).toList());
            case "--input", "--input-name" -> {
                String[] p = v.split(":", -1);
                InputOptions io = inputs.getOrDefault(p[0], InputOptions.named(p[0]));
                if (p.length > 1 && !p[1].isEmpty()) {
                    try {
                        io = io.withDtype(DType.fromAbiName(p[1]));
                    } catch (IllegalArgumentException e) {
                        throw new IllegalArgumentException(flag + " " + v + ": " + e.getMessage());
                    }
                }
                if (p.length > 2 && !p[2].isEmpty()) {
                    try {
                        io = io.withSampleShape(Shape.parse(p[2]).dims());
                    } catch (RuntimeException e) {
                        throw new IllegalArgumentException(flag + " " + v + ": the shape '" + p[2]
                                + "' should be dimensions separated by x, e.g. 3x224x224");
                    }
                }
                if (p.length > 3) {
                    throw new IllegalArgumentException(flag + " " + v + ": expected NAME[:DTYPE][:SHAPE]");
                }
                inputs.put(p[0], io);
            }
            case "--normalize" -> {
                int colon = v.indexOf(':');
                if (colon < 1) {
                    throw new IllegalArgumentException("--normalize " + v + ": expected NAME:scale=S,mean=A/B/C,std=A/B/C");
                }
                String name = v.substring(0, colon);
                float scale = 1f;
                float[] mean = {0f};
                float[] std = {1f};
                for (String part : v.substring(colon + 1).split(",")) {
                    String[] kv = part.split("=", 2);
                    if (kv.length != 2) {
                        throw new IllegalArgumentException("--normalize " + v + ": '" + part + "' is not KEY=VALUE");
                    }
                    switch (kv[0].strip()) {
                        case "scale" -> scale = number(kv[1], v);
                        case "mean" -> mean = numbers(kv[1], v);
                        case "std" -> std = numbers(kv[1], v);
                        default -> throw new IllegalArgumentException("--normalize " + v + ": unknown key '" + kv[0]
                                + "' (scale, mean, std)");
                    }
                }
                int channels = Math.max(mean.length, std.length);
                if (mean.length == 1) {
                    mean = fill(mean[0], channels);
                }
                if (std.length == 1) {
                    std = fill(std[0], channels);
                }
                if (mean.length != std.length) {
                    throw new IllegalArgumentException("--normalize " + v + ": mean has " + mean.length
                            + " values and std " + std.length);
                }
                inputs.put(name, inputs.getOrDefault(name, InputOptions.named(name)).withNormalization(scale, mean, std));
            }
            default -> throw new IllegalStateException(flag);
        }
    }

    private static float[] fill(float v, int n) {
        float[] f = new float[n];
        Arrays.fill(f, v);
        return f;
    }

    private static float number(String s, String whole) {
        s = s.strip();
        try {
            int slash = s.indexOf('/');
            if (slash > 0) {
                return (float) (Double.parseDouble(s.substring(0, slash)) / Double.parseDouble(s.substring(slash + 1)));
            }
            return Float.parseFloat(s);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--normalize " + whole + ": '" + s + "' is not a number (1/255 works too)");
        }
    }

    private static float[] numbers(String s, String whole) {
        String[] parts = s.split("/");
        float[] f = new float[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                f[i] = Float.parseFloat(parts[i].strip());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--normalize " + whole + ": '" + parts[i] + "' is not a number");
            }
        }
        return f;
    }
}
