package io.wasminference.bench.kernel;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.wasminference.abi.DType;
import io.wasminference.bench.BenchModel;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.util.Map;

/**
 * ONNX Runtime Java on the model's {@code model.onnx} (the same network and weights, exported by train.py), one
 * intra-op thread, one inter-op thread, sequential execution, all graph optimisations. Per call: copy the batch
 * into a reused direct buffer, wrap it as a tensor (zero-copy), run, copy the logits out.
 */
public final class OrtRunner implements Runner {
    private final BenchModel model;
    private final OrtEnvironment env;
    private final OrtSession session;
    private final ByteBuffer in;
    private final long[] shape;

    public OrtRunner(BenchModel model) {
        this.model = model;
        try {
            env = OrtEnvironment.getEnvironment();
            try (OrtSession.SessionOptions opts = new OrtSession.SessionOptions()) {
                opts.setIntraOpNumThreads(1);
                opts.setInterOpNumThreads(1);
                opts.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
                opts.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
                session = env.createSession(Files.readAllBytes(model.onnx()), opts);
            }
        } catch (Exception e) {
            throw new IllegalStateException("cannot load " + model.onnx() + " into ONNX Runtime: " + e, e);
        }
        in = ByteBuffer.allocateDirect(BenchModel.SAMPLES * model.sampleBytes()).order(ByteOrder.LITTLE_ENDIAN);
        int[] s = model.shape();
        shape = new long[s.length + 1];
        for (int i = 0; i < s.length; i++) {
            shape[i + 1] = s[i];
        }
    }

    /** ONNX Runtime's version string. */
    public static String version() {
        return OrtEnvironment.getEnvironment().getVersion();
    }

    @Override
    public Object run(int batch, byte[] inputs) {
        return call(batch, inputs);
    }

    @Override
    public byte[] logits(int batch, byte[] inputs) {
        FloatBuffer f = call(batch, inputs);
        ByteBuffer b = ByteBuffer.allocate(f.remaining() * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(f);
        return b.array();
    }

    private FloatBuffer call(int batch, byte[] inputs) {
        int bytes = batch * model.sampleBytes();
        in.clear();
        in.put(inputs, 0, bytes).flip();
        shape[0] = batch;
        try (OnnxTensor t = model.dtype() == DType.U8
                ? OnnxTensor.createTensor(env, in, shape, OnnxJavaType.UINT8)
                : OnnxTensor.createTensor(env, in.asFloatBuffer(), shape);
             OrtSession.Result r = session.run(Map.of(model.inputName(), t))) {
            return ((OnnxTensor) r.get(0)).getFloatBuffer();
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime failed on " + model.id() + ": " + e, e);
        }
    }

    @Override
    public void close() {
        try {
            session.close();
        } catch (OrtException e) {
            throw new IllegalStateException(e);
        }
    }
}
