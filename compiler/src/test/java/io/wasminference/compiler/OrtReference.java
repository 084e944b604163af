package io.wasminference.compiler;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;

import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** ONNX Runtime (Java, 1 intra-op thread) as the reference a compiled model is compared with. Test scope only. */
final class OrtReference implements AutoCloseable {
    private final OrtEnvironment env = OrtEnvironment.getEnvironment();
    private final OrtSession session;

    OrtReference(byte[] onnx) throws OrtException {
        OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        options.setIntraOpNumThreads(1);
        session = env.createSession(onnx, options);
    }

    /** Runs the model's single input with {@code data} of {@code shape}; returns the first output, flattened. */
    float[] run(String input, float[] data, long[] shape) throws OrtException {
        try (OnnxTensor t = OnnxTensor.createTensor(env, FloatBuffer.wrap(data), shape);
                OrtSession.Result r = session.run(Map.of(input, t))) {
            FloatBuffer out = ((OnnxTensor) r.get(0)).getFloatBuffer();
            float[] f = new float[out.remaining()];
            out.get(f);
            return f;
        }
    }

    /** Runs a model with one uint8 input ({@code values} 0..255); returns the first output, flattened. */
    float[] runU8(String input, double[] values, long[] shape) throws OrtException {
        byte[] b = new byte[values.length];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) (int) values[i];
        }
        return runAll(Map.of(input, b), Map.of(input, shape)).get(0).values();
    }

    /** One float output of {@link #runAll}: its name, shape and values (row-major). */
    record Output(String name, long[] shape, float[] values) {}

    /**
     * Runs the model on several inputs ({@code inputs}: ONNX input name to values, a {@code float[]} or, for a
     * uint8 input, a {@code byte[]}; {@code shapes}: to full shape, batch included); returns every output in the
     * model's order (float outputs only).
     */
    List<Output> runAll(Map<String, Object> inputs, Map<String, long[]> shapes) throws OrtException {
        Map<String, OnnxTensor> feed = new LinkedHashMap<>();
        try {
            for (Map.Entry<String, Object> e : inputs.entrySet()) {
                long[] shape = shapes.get(e.getKey());
                if (e.getValue() instanceof float[] f) {
                    feed.put(e.getKey(), OnnxTensor.createTensor(env, FloatBuffer.wrap(f), shape));
                } else if (e.getValue() instanceof byte[] b) {
                    feed.put(e.getKey(), OnnxTensor.createTensor(env, ByteBuffer.wrap(b), shape, OnnxJavaType.UINT8));
                } else {
                    throw new IllegalArgumentException("input " + e.getKey() + ": " + e.getValue().getClass());
                }
            }
            try (OrtSession.Result r = session.run(feed)) {
                List<Output> out = new ArrayList<>();
                for (Map.Entry<String, ai.onnxruntime.OnnxValue> e : r) {
                    OnnxTensor t = (OnnxTensor) e.getValue();
                    FloatBuffer fb = t.getFloatBuffer();
                    float[] f = new float[fb.remaining()];
                    fb.get(f);
                    out.add(new Output(e.getKey(), t.getInfo().getShape(), f));
                }
                return out;
            }
        } finally {
            for (OnnxTensor t : feed.values()) {
                t.close();
            }
        }
    }

    @Override
    public void close() throws OrtException {
        session.close();
    }
}
