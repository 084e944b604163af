package io.wasminference.abi;

import io.wasminference.errors.ModelRefusedException;
import org.apache.flink.annotation.Internal;

import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Parses the text of the {@code wasm-inference.v1} section (docs/abi.md §2). Strict: unknown keys are errors, keys
 * and keyword values (dtypes, kind) are lower case, and {@code #} starts a comment only at the start of a line. A
 * leading UTF-8 byte order mark is skipped.
 */
@Internal
public final class MetadataParser {

    /** Most inputs, and most outputs, a model may declare. */
    public static final int MAX_TENSORS = 16;
    /** Most class labels a classifier may declare. */
    public static final int MAX_LABELS = 65536;
    /** Largest {@code max_batch} a model may declare. */
    public static final int MAX_BATCH_LIMIT = 65536;

    private static final Pattern MODEL_NAME = Pattern.compile("[A-Za-z0-9._-]{1,64}");
    private static final Pattern MODEL_VERSION = Pattern.compile("[A-Za-z0-9._+-]{1,64}");
    private static final Pattern TENSOR_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_.-]{0,63}");

    private MetadataParser() {}

    /** Whether {@code name} is a model name this parser accepts (1-64 of {@code A-Z a-z 0-9 . _ -}). */
    public static boolean isModelName(String name) {
        return name != null && MODEL_NAME.matcher(name).matches();
    }

    /** Whether {@code version} is a model version this parser accepts (1-64 of {@code A-Z a-z 0-9 . _ + -}). */
    public static boolean isModelVersion(String version) {
        return version != null && MODEL_VERSION.matcher(version).matches();
    }

    /** Decodes the section payload as UTF-8 and parses it. */
    public static ModelMetadata parse(byte[] payload) {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .decode(java.nio.ByteBuffer.wrap(payload))
                    .toString();
        } catch (CharacterCodingException e) {
            throw refused("the section is not valid UTF-8");
        }
        return parse(text);
    }

    public static ModelMetadata parse(String text) {
        if (text.startsWith("\uFEFF")) {
            text = text.substring(1); // a byte order mark some editors write; not part of the first key
        }
        Integer abi = null;
        String name = null;
        String version = null;
        Integer maxBatch = null;
        ModelKind kind = null;
        String description = null;
        List<TensorSpec> inputs = new ArrayList<>();
        List<TensorSpec> outputs = new ArrayList<>();
        TreeMap<Integer, String> labels = new TreeMap<>();

        String[] lines = text.split("\r?\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].strip();
            int lineNo = i + 1;
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            int colon = line.indexOf(':');
            if (colon <= 0) {
                throw refused("line " + lineNo + " '" + line + "' is not 'key: value'");
            }
            String key = line.substring(0, colon).strip();
            String value = line.substring(colon + 1).strip();
            try {
                switch (key) {
                    case "abi" -> {
                        once(abi, key, lineNo);
                        if (!value.equals("1")) {
                            throw refused("line " + lineNo + ": ABI version '" + value
                                    + "' is not supported; this host implements ABI v1");
                        }
                        abi = 1;
                    }
                    case "name" -> {
                        once(name, key, lineNo);
                        name = matching(value, MODEL_NAME, "model name", lineNo);
                    }
                    case "version" -> {
                        once(version, key, lineNo);
                        version = matching(value, MODEL_VERSION, "model version", lineNo);
                    }
                    case "max_batch" -> {
                        once(maxBatch, key, lineNo);
                        maxBatch = intIn(value, 1, MAX_BATCH_LIMIT, "max_batch", lineNo);
                    }
                    case "kind" -> {
                        once(kind, key, lineNo);
                        kind = switch (value) {
                            case "classifier" -> ModelKind.CLASSIFIER;
                            case "generic" -> ModelKind.GENERIC;
                            default -> throw refused("line " + lineNo + ": kind '" + value
                                    + "' is not 'classifier' or 'generic'");
                        };
                    }
                    case "description" -> {
                        once(description, key, lineNo);
                        description = value;
                    }
                    case "input" -> inputs.add(tensor(value, inputs, "input", lineNo));
                    case "output" -> outputs.add(tensor(value, outputs, "output", lineNo));
                    case "label" -> {
                        String[] parts = value.split("\\s+", 2);
                        int index = intIn(parts[0], 0, Shape.MAX_DIM, "label index", lineNo);
                        if (parts.length < 2) {
                            throw refused("line " + lineNo + ": label " + index + " has no text; write 'label: "
                                    + index + " TEXT' (a class without a label prints as its index)");
                        }
                        if (labels.put(index, parts[1]) != null) {
                            throw refused("line " + lineNo + ": label " + index + " is declared twice");
                        }
                    }
                    default -> throw refused("line " + lineNo + ": unknown key '" + key
                            + "' (known: abi, name, version, max_batch, input, output, kind, label, description)");
                }
            } catch (ModelRefusedException e) {
                if (value.contains("#")) {
                    throw new ModelRefusedException(e.getMessage() + " ('#' starts a comment only at the start of a "
                            + "line; after a value it is part of the value)", e);
                }
                throw e;
            }
        }
        if (abi == null) {
            throw refused("missing 'abi: 1'");
        }
        required(name, "name");
        required(version, "version");
        required(maxBatch, "max_batch");
        if (inputs.isEmpty() || outputs.isEmpty()) {
            throw refused("a model declares at least one 'input:' and one 'output:' line");
        }
        if (kind == null) {
            kind = ModelKind.GENERIC;
        }
        List<String> labelList = new ArrayList<>();
        if (!labels.isEmpty()) {
            TensorSpec scores = outputs.get(0);
            long classes = scores.shape().elementCount();
            if (kind != ModelKind.CLASSIFIER) {
                throw refused("labels are declared but kind is not 'classifier'");
            }
            if (classes > MAX_LABELS) {
                throw refused("labels are declared for " + classes + " classes; at most " + MAX_LABELS
                        + " classes may carry labels");
            }
            if (labels.lastKey() >= classes) {
                throw refused("label index " + labels.lastKey() + " is outside the first output '"
                        + scores.name() + "' of " + classes + " classes");
            }
            for (int c = 0; c < classes; c++) {
                labelList.add(labels.getOrDefault(c, Integer.toString(c)));
            }
        }
        if (kind == ModelKind.CLASSIFIER && outputs.get(0).shape().rank() != 1) {
            throw refused("a classifier's first output must be a vector of class scores, but '"
                    + outputs.get(0).name() + "' has shape " + outputs.get(0).shape());
        }
        return new ModelMetadata(abi, name, version, maxBatch, inputs, outputs, kind, labelList, description);
    }

    private static TensorSpec tensor(String value, List<TensorSpec> existing, String what, int lineNo) {
        String[] parts = value.split("\\s+");
        if (parts.length != 3) {
            throw refused("line " + lineNo + ": '" + what + ": " + value + "' is not 'NAME DTYPE SHAPE', e.g. '"
                    + what + ": image u8 28x28'");
        }
        String tensorName = matching(parts[0], TENSOR_NAME, what + " name", lineNo);
        Set<String> names = new HashSet<>();
        existing.forEach(t -> names.add(t.name()));
        if (names.contains(tensorName)) {
            throw refused("line " + lineNo + ": " + what + " '" + tensorName + "' is declared twice");
        }
        if (existing.size() >= MAX_TENSORS) {
            throw refused("line " + lineNo + ": more than " + MAX_TENSORS + " " + what + "s");
        }
        if (!parts[1].equals(parts[1].toLowerCase(Locale.ROOT))) {
            throw refused("line " + lineNo + ": " + what + " '" + tensorName + "': dtype '" + parts[1]
                    + "' must be lower case ('" + parts[1].toLowerCase(Locale.ROOT) + "')");
        }
        try {
            return new TensorSpec(tensorName, DType.fromAbiName(parts[1]), Shape.parse(parts[2]));
        } catch (IllegalArgumentException e) {
            throw refused("line " + lineNo + ": " + what + " '" + tensorName + "': " + e.getMessage());
        }
    }

    private static void once(Object previous, String key, int lineNo) {
        if (previous != null) {
            throw refused("line " + lineNo + ": '" + key + "' is given twice");
        }
    }

    private static void required(Object value, String key) {
        if (value == null) {
            throw refused("missing '" + key + ":'");
        }
    }

    private static String matching(String value, Pattern pattern, String what, int lineNo) {
        if (!pattern.matcher(value).matches()) {
            throw refused("line " + lineNo + ": " + what + " '" + value + "' must match " + pattern.pattern());
        }
        return value;
    }

    private static int intIn(String value, int min, int max, String what, int lineNo) {
        try {
            int v = Integer.parseInt(value);
            if (v >= min && v <= max) {
                return v;
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw refused("line " + lineNo + ": " + what + " '" + value + "' is not an integer in " + min + ".." + max);
    }

    private static ModelRefusedException refused(String detail) {
        return new ModelRefusedException("invalid model metadata (section '" + WasmBinary.METADATA_SECTION
                + "', see docs/abi.md): " + detail);
    }
}
