package io.wasminference.format;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.wasminference.record.ClassScore;
import io.wasminference.record.DeadLetter;
import io.wasminference.record.ModelEvent;
import io.wasminference.record.Prediction;
import io.wasminference.tensor.Tensor;

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
public final class PredictionJson {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private PredictionJson() {}

    public static byte[] encode(Prediction p, boolean includeOutputs) {
        ObjectNode root = MAPPER.createObjectNode();
        root.put("id", p.id());
        ObjectNode model = root.putObject("model");
        model.put("name", p.modelName());
        model.put("version", p.modelVersion());
        if (!p.topK().isEmpty()) {
            ArrayNode top = root.putArray("top_k");
            for (ClassScore c : p.topK()) {
                top.addObject().put("index", c.index()).put("label", c.label()).put("p", c.probability());
            }
        }
        if (includeOutputs) {
            ObjectNode outputs = root.putObject("outputs");
            for (Map.Entry<String, Tensor> e : new TreeMap<>(p.outputs()).entrySet()) {
                ObjectNode t = outputs.putObject(e.getKey());
                t.put("dtype", e.getValue().dtype().abiName());
                ArrayNode shape = t.putArray("shape");
                for (int d : e.getValue().shape()) {
                    shape.add(d);
                }
                ArrayNode data = t.putArray("data");
                for (double v : e.getValue().toDoubles()) {
                    data.add(v);
                }
            }
        }
        root.put("batch_size", p.batchSize());
        root.putObject("latency_us").put("queue", p.queueMicros()).put("inference", p.inferenceMicros());
        return bytes(root);
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
