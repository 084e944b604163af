package io.wasminference.compiler;

import org.apache.flink.annotation.PublicEvolving;
import java.util.Optional;

/**
 * What the compiler did to a model, for {@code compile}'s output and logs.
 *
 * @param onnxNodes nodes in the ONNX graph (besides Constant nodes)
 * @param graphNodes nodes left after folding and fusion
 * @param foldedNodes nodes computed at compile time (Shape chains, weight arithmetic...)
 * @param batchNormsFolded BatchNormalization nodes folded into the preceding Conv or Gemm
 * @param activationsFused activations fused into the op before them
 * @param otherRewrites hard-swish patterns, biases, input scaling and identities rewritten
 * @param runtimeOps ops in the plan (kernels and copies)
 * @param weightBytes bytes of weights and plan in the module
 * @param arenaBytes peak bytes of intermediate tensors and scratch (one pass of {@code chunk} samples)
 * @param ioBytes bytes of the input and output buffers (max_batch samples each)
 * @param memoryBytes linear memory the module starts with
 * @param chunk samples per pass through the ops: max_batch, or 1 when the graph must run once per sample
 * @param perSampleReason why the graph runs once per sample, if it does
 * @param producer the ONNX file's producer
 * @param opset the ONNX opset of the default domain
 * @param millis compile time
 * @param plan the runtime's ops, one per line, with the node each came from and its tensors
 */
@PublicEvolving
public record CompileReport(int onnxNodes, int graphNodes, int foldedNodes, int batchNormsFolded,
                            int activationsFused, int otherRewrites, int runtimeOps, long weightBytes,
                            long arenaBytes, long ioBytes, long memoryBytes, int chunk,
                            Optional<String> perSampleReason, String producer, int opset, long millis,
                            String plan) {

    /** A few lines for humans. */
    public String summary() {
        return String.format(java.util.Locale.ROOT,
                "graph       %d ONNX nodes (opset %d%s) -> %d after folding %d and fusing %d batch norms, %d "
                        + "activations, %d other patterns%n"
                        + "plan        %d runtime ops, %s samples per pass%s%n"
                        + "memory      weights+plan %s, peak arena %s, input/output buffers %s, linear memory %s%n"
                        + "compiled in %d ms",
                onnxNodes, opset, producer.isBlank() ? "" : ", " + producer, graphNodes, foldedNodes,
                batchNormsFolded, activationsFused, otherRewrites, runtimeOps, chunk,
                perSampleReason.map(r -> " (one at a time: " + r + ")").orElse(""), bytes(weightBytes),
                bytes(arenaBytes), bytes(ioBytes), bytes(memoryBytes), millis);
    }

    private static String bytes(long b) {
        if (b < 10 << 10) {
            return b + " B";
        }
        if (b < 10 << 20) {
            return (b >> 10) + " KiB";
        }
        return (b >> 20) + " MiB";
    }
}
