package io.wasminference.format;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.wasminference.record.ClassScore;
import io.wasminference.record.DeadLetter;
import io.wasminference.record.ModelEvent;
import io.wasminference.record.Prediction;
import io.wasminference.tensor.Tensor;
import org.apache.flink.annotation.PublicEvolving;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import java.util.TreeMap;

/**
 * JSON encodings of predictions and dead letters (docs/formats.md). Stateless and thread-safe.
 *
 * <pre>
 * {"id":"a1","model":{"name":"fashion-lenet5","version":"1.0.0"},
 *  "top_k":[{"index":1,"label":"Trouser","p":0.998}],
 *  "outputs":{"logits":{"dtype":"f32","shape":[10],"data":[...]}},
 *  "batch_size":32,"latency_us":{"queue":812,"inference":1530}}
 *
 * {"id":"a2","error":{"kind":"DECODE","reason":"malformed JSON: ..."},"model":{"name":"","version":""},
 *  "source":"requests/3/1042","payload_base64":"eyJpZCI6...","payload_bytes":412}
 * </pre>
 */
@PublicEvolving
public final class PredictionJson {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private PredictionJson() {}

    /**
     * Written with a streaming generator, not a tree: a tree holds one node object per output element (about 20
     * times the tensor's size in heap). Integer outputs are written exactly, f32 as the shortest decimal that reads
     * back as the same float.
     */
    public static byte[] encode(Prediction p, boolean includeOutputs) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(256);
        try (JsonGenerator g = MAPPER.getFactory().createGenerator(bytes)) {
            g.writeStartObject();
            g.writeStringField("id", p.id());
            g.writeObjectFieldStart("model");
            g.writeStringField("name", p.modelName());
            g.writeStringField("version", p.modelVersion());
            g.writeEndObject();
            if (!p.topK().isEmpty()) {
                g.writeArrayFieldStart("top_k");
                for (ClassScore c : p.topK()) {
                    g.writeStartObject();
                    g.writeNumberField("index", c.index());
                    g.writeStringField("label", c.label());
                    g.writeNumberField("p", c.probability());
                    g.writeEndObject();
                }
                g.writeEndArray();
            }
            if (includeOutputs) {
                g.writeObjectFieldStart("outputs");
                for (Map.Entry<String, Tensor> e : new TreeMap<>(p.outputs()).entrySet()) {
                    writeTensor(g, e.getKey(), e.getValue());
                }
                g.writeEndObject();
            }
            g.writeNumberField("batch_size", p.batchSize());
            g.writeObjectFieldStart("latency_us");
            g.writeNumberField("queue", p.queueMicros());
            g.writeNumberField("inference", p.inferenceMicros());
            g.writeEndObject();
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a ByteArrayOutputStream does not fail
        }
        return bytes.toByteArray();
    }

    private static void writeTensor(JsonGenerator g, String name, Tensor t) throws IOException {
        g.writeObjectFieldStart(name);
        g.writeStringField("dtype", t.dtype().abiName());
        g.writeArrayFieldStart("shape");
        for (int d : t.shape()) {
            g.writeNumber(d);
        }
        g.writeEndArray();
        g.writeArrayFieldStart("data");
        switch (t.dtype()) {
            case F32 -> {
                for (float v : t.toFloats()) {
                    g.writeNumber(v);
                }
            }
            case F64 -> {
                for (double v : t.toDoubles()) {
                    g.writeNumber(v);
                }
            }
            default -> {
                for (long v : t.toLongs()) { // exact: a double holds only 53 bits
                    g.writeNumber(v);
                }
            }
        }
        g.writeEndArray();
        g.writeEndObject();
    }

    /** Longest reason a bounded dead letter keeps, in characters. */
    public static final int MAX_REASON_CHARS = 8192;

    /** A dead letter with its whole payload and reason. */
    public static byte[] encode(DeadLetter d) {
        return encode(d, Integer.MAX_VALUE);
    }

    /**
     * A dead letter whose size is bounded whatever its input: at most {@code maxPayloadBytes} of the original record
     * (then {@code "payload_truncated": true} and {@code "payload_bytes"}: the original size) and at most
     * {@link #MAX_REASON_CHARS} of the reason (when {@code maxPayloadBytes} is not unbounded). Kafka refuses records
     * above its message limit, and a refused dead letter fails the job, which then reads the same record again.
     */
    public static byte[] encode(DeadLetter d, int maxPayloadBytes) {
        boolean bounded = maxPayloadBytes != Integer.MAX_VALUE;
        ObjectNode root = MAPPER.createObjectNode();
        root.put("id", bounded ? truncate(d.id(), MAX_REASON_CHARS) : d.id());
        root.putObject("error").put("kind", d.errorKind())
                .put("reason", bounded ? truncate(d.reason(), MAX_REASON_CHARS) : d.reason());
        root.putObject("model").put("name", d.modelName()).put("version", d.modelVersion());
        if (d.origin() != null) {
            root.put("source", d.origin());
        }
        byte[] payload = d.payload();
        if (payload != null) {
            if (payload.length > maxPayloadBytes) {
                root.put("payload_base64", Base64.getEncoder().encodeToString(
                        java.util.Arrays.copyOf(payload, maxPayloadBytes)));
                root.put("payload_truncated", true);
            } else {
                root.put("payload_base64", Base64.getEncoder().encodeToString(payload));
            }
            root.put("payload_bytes", payload.length);
        }
        return bytes(root);
    }

    private static String truncate(String s, int max) {
        if (s.length() <= max) {
            return s;
        }
        int end = Character.isHighSurrogate(s.charAt(max - 1)) ? max - 1 : max;
        return s.substring(0, end) + " ... (" + (s.length() - end) + " more characters)";
    }

    /**
     * A model event: {@code {"time": ..., "subtask": 0, "command": "deploy m:2", "status": "SERVING",
     * "model": "m", "serving": "2", "previous": "1", "reason": ""}}.
     */
    public static byte[] encode(ModelEvent e) {
        ObjectNode root = MAPPER.createObjectNode();
        root.put("time", java.time.Instant.ofEpochMilli(e.timestampMillis()).toString());
        root.put("subtask", e.subtask());
        root.put("command", e.command());
        root.put("status", e.status());
        root.put("model", e.modelName());
        root.put("serving", e.servingVersion());
        root.put("previous", e.previousVersion());
        root.put("reason", e.reason());
        return bytes(root);
    }

    private static byte[] bytes(ObjectNode root) {
        return root.toString().getBytes(StandardCharsets.UTF_8);
    }
}
