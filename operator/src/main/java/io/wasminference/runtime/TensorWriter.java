package io.wasminference.runtime;

import io.wasminference.tensor.Tensor;
import org.apache.flink.annotation.Internal;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Where the host writes one input of a batch: a bounds-checked window onto the module's input buffer in linear
 * memory, valid only inside {@link ModelInstance#run(int, BatchWriter)}. Writes go straight into wasm memory (no
 * intermediate copy). Holding on to a writer after the call and using it fails with an exception instead of
 * touching memory that may since have been freed.
 */
@Internal
public final class TensorWriter {
    private ByteBuffer target;

    TensorWriter(ByteBuffer target) {
        this.target = target;
    }

    /** Copies {@code length} bytes of {@code src} from {@code offset}. */
    public TensorWriter put(byte[] src, int offset, int length) {
        buf().put(src, offset, length);
        return this;
    }

    public TensorWriter put(byte[] src) {
        return put(src, 0, src.length);
    }

    /** Copies the remaining bytes of {@code src} (which must already be little-endian data). */
    public TensorWriter put(ByteBuffer src) {
        buf().put(src);
        return this;
    }

    /** Copies the bytes of {@code tensor}. */
    public TensorWriter put(Tensor tensor) {
        tensor.copyTo(buf());
        return this;
    }

    /** Writes f32 values in little-endian order. */
    public TensorWriter putFloats(float[] values) {
        ByteBuffer b = buf();
        b.asFloatBuffer().put(values);
        b.position(b.position() + values.length * 4);
        return this;
    }

    /** Bytes still to write for this batch. */
    public int remaining() {
        return buf().remaining();
    }

    /** Bytes written so far. */
    public int position() {
        return buf().position();
    }

    void invalidate() {
        target = null;
    }

    private ByteBuffer buf() {
        ByteBuffer b = target;
        if (b == null) {
            throw new IllegalStateException("TensorWriter used outside the batch it was handed out for");
        }
        return b.order(ByteOrder.LITTLE_ENDIAN);
    }
}
