package io.wasminference.compiler;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;

import java.nio.FloatBuffer;
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

    @Override
    public void close() throws OrtException {
        session.close();
    }
}
