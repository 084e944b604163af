package io.wasminference.compiler.lower;

import io.wasminference.abi.DType;
import io.wasminference.compiler.graph.Value;

import java.util.List;

/**
 * The module's ABI v1 inputs and outputs and the graph values behind them.
 *
 * @param inputs in slot order
 * @param outputs in slot order
 * @param batchAxis whether dimension 0 of each graph value is the batch (then a sample is dimensions 1..)
 */
public record ModelInterface(List<Io> inputs, List<Io> outputs, boolean batchAxis) {

    /**
     * One input or output.
     *
     * @param name the ABI name (the ONNX name, made to fit the metadata's name rule)
     * @param dtype what records carry
     * @param sampleShape one sample's shape
     * @param value the graph value
     * @param scale per-channel multiplier after conversion (inputs), or null
     * @param shift per-channel offset after scaling (inputs), or null
     */
    public record Io(String name, DType dtype, int[] sampleShape, Value value, float[] scale, float[] shift) {
        public long sampleBytes() {
            long n = dtype.byteSize();
            for (int d : sampleShape) {
                n *= d;
            }
            return n;
        }
    }
}
