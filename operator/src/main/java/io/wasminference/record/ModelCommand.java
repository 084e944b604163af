package io.wasminference.record;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.wasminference.abi.MetadataParser;
import io.wasminference.errors.InvalidInputException;
import org.apache.flink.annotation.PublicEvolving;
import org.apache.flink.api.common.typeinfo.TypeInfo;

import java.io.IOException;
import java.util.Locale;
import java.util.Objects;

/**
 * A command of the control stream, broadcast to every inference subtask (docs/hot-swap.md):
 * {@code {"command": "deploy", "name": "fashion-lenet5", "version": "1.1.0"}} or
 * {@code {"command": "rollback", "name": "fashion-lenet5"}}.
 *
 * @param action what to do
 * @param name the model the command is for
 * @param version the version to deploy; empty for a rollback
 */
@PublicEvolving
@TypeInfo(RecordTypeInfos.CommandFactory.class)
public record ModelCommand(Action action, String name, String version) implements java.io.Serializable {
    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    /** The two commands. */
    public enum Action {
        /** Load, validate and switch to {@code name/version} from the model repository. */
        DEPLOY,
        /** Go back to the version served before the current one. */
        ROLLBACK
    }

    public ModelCommand {
        Objects.requireNonNull(action, "action");
        Objects.requireNonNull(name, "name");
        version = version == null ? "" : version;
        if (action == Action.DEPLOY && version.isEmpty()) {
            throw new IllegalArgumentException("deploy needs a version");
        }
    }

    public static ModelCommand deploy(String name, String version) {
        return new ModelCommand(Action.DEPLOY, name, version);
    }

    public static ModelCommand rollback(String name) {
        return new ModelCommand(Action.ROLLBACK, name, "");
    }

    /** Parses the JSON form; the message of a failure says what a valid command looks like. */
    public static ModelCommand parse(String json) {
        JsonNode n;
        try {
            n = JSON.readTree(json);
        } catch (IOException e) {
            throw new InvalidInputException("control command is not JSON: " + e.getMessage());
        }
        String usage = "; expected {\"command\": \"deploy\", \"name\": NAME, \"version\": VERSION} or "
                + "{\"command\": \"rollback\", \"name\": NAME}";
        if (n == null || !n.isObject() || !n.hasNonNull("command") || !n.hasNonNull("name")) {
            throw new InvalidInputException("control command " + json + " lacks 'command' or 'name'" + usage);
        }
        String command = n.get("command").asText().toLowerCase(Locale.ROOT);
        String name = n.get("name").asText();
        // Checked here, so a command naming a path ("../x", "a\\..\\b") is refused before it reaches a subtask;
        // the repository checks again before any lookup.
        if (!n.get("name").isTextual() || !MetadataParser.isModelName(name) || name.startsWith(".")) {
            throw new InvalidInputException("control command " + json + ": 'name' must be a model name as its "
                    + "metadata declares it (1 to 64 of A-Z a-z 0-9 . _ -, not starting with '.')");
        }
        return switch (command) {
            case "deploy" -> {
                if (!n.hasNonNull("version") || n.get("version").asText().isEmpty()) {
                    throw new InvalidInputException("deploy command " + json + " lacks 'version'" + usage);
                }
                String version = n.get("version").asText();
                if (!n.get("version").isTextual() || !MetadataParser.isModelVersion(version)
                        || version.startsWith(".")) {
                    throw new InvalidInputException("deploy command " + json + ": 'version' must be a model version "
                            + "as its metadata declares it (1 to 64 of A-Z a-z 0-9 . _ + -, not starting with '.')");
                }
                yield deploy(name, version);
            }
            case "rollback" -> rollback(name);
            default -> throw new InvalidInputException("unknown control command '" + command + "'" + usage);
        };
    }

    @Override
    public String toString() {
        return action.name().toLowerCase(Locale.ROOT) + " " + name + (version.isEmpty() ? "" : ":" + version);
    }
}
