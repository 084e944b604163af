package io.wasminference.compiler;

import io.wasminference.abi.DType;

import java.util.Arrays;
import java.util.Objects;

/**
 * How one model input is presented to the module, where the ONNX file leaves it open or the user wants it
 * otherwise.
 *
 * @param name the ONNX input's name
 * @param sampleShape the shape of one sample (without the batch dimension), for inputs with dynamic dimensions;
 *     null to take the model's
 * @param dtype the element type records carry on Kafka (e.g. u8 for image pixels), converted to the model's
 *     float input inside the module; null for the model's own type
 * @param scale per-channel (along axis 1 of the model's input, or one value for all) multiplier applied after
 *     the conversion, null for none
 * @param shift per-channel offset added after scaling, null for none
 */
public record InputOptions(String name, int[] sampleShape, DType dtype, float[] scale, float[] shift) {

    public InputOptions {
        Objects.requireNonNull(name, "name");
        sampleShape = sampleShape == null ? null : sampleShape.clone();
        scale = scale == null ? null : scale.clone();
        shift = shift == null ? null : shift.clone();
    }

    public static InputOptions named(String name) {
        return new InputOptions(name, null, null, null, null);
    }

    public InputOptions withSampleShape(int... shape) {
        return new InputOptions(name, shape, dtype, scale, shift);
    }

    public InputOptions withDtype(DType type) {
        return new InputOptions(name, sampleShape, type, scale, shift);
    }

    /** x * scale + shift per channel, applied in float32 after converting the record's values. */
    public InputOptions withAffine(float[] scale, float[] shift) {
        return new InputOptions(name, sampleShape, dtype, scale, shift);
    }

    /**
     * The usual image normalization {@code (x * scale - mean) / std} per channel, as one multiply and one add:
     * multiplier {@code scale / std}, offset {@code -mean / std}.
     */
    public InputOptions withNormalization(float scale, float[] mean, float[] std) {
        if (mean.length != std.length) {
            throw new IllegalArgumentException("mean has " + mean.length + " values, std " + std.length);
        }
        float[] s = new float[mean.length];
        float[] t = new float[mean.length];
        for (int i = 0; i < mean.length; i++) {
            s[i] = (float) (scale / (double) std[i]);
            t[i] = (float) (-mean[i] / (double) std[i]);
        }
        return withAffine(s, t);
    }

    @Override
    public int[] sampleShape() {
        return sampleShape == null ? null : sampleShape.clone();
    }

    @Override
    public float[] scale() {
        return scale == null ? null : scale.clone();
    }

    @Override
    public float[] shift() {
        return shift == null ? null : shift.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof InputOptions other && name.equals(other.name)
                && Arrays.equals(sampleShape, other.sampleShape) && dtype == other.dtype
                && Arrays.equals(scale, other.scale) && Arrays.equals(shift, other.shift);
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, Arrays.hashCode(sampleShape), dtype, Arrays.hashCode(scale), Arrays.hashCode(shift));
    }

    @Override
    public String toString() {
        return name + (sampleShape != null ? " shape " + Arrays.toString(sampleShape) : "")
                + (dtype != null ? " as " + dtype : "") + (scale != null ? " scale " + Arrays.toString(scale) : "")
                + (shift != null ? " shift " + Arrays.toString(shift) : "");
    }
}
