package io.wasminference.compiler.lower;

/**
 * A region of linear memory the plan refers to: a model input or output buffer (sized for max_batch), an arena
 * tensor (sized for one pass of samples, placed by the {@link ArenaPlanner}), per-op scratch, or constant data
 * (weights) written into the module.
 */
public final class Buffer {
    /** Where a buffer lives. */
    public enum Kind { INPUT, OUTPUT, ARENA, SCRATCH, CONST }

    final Kind kind;
    final String name;
    /** Bytes of one sample (INPUT, OUTPUT, ARENA); total bytes (SCRATCH, CONST). */
    final long bytes;
    final byte[] data;
    final int ioIndex;
    /** An arena tensor used only inside one segment: one sample's worth, reused for each sample. */
    boolean local;
    int firstUse = Integer.MAX_VALUE;
    int lastUse = -1;
    long address = -1;

    Buffer(Kind kind, String name, long bytes, byte[] data, int ioIndex) {
        this.kind = kind;
        this.name = name;
        this.bytes = bytes;
        this.data = data;
        this.ioIndex = ioIndex;
    }

    /** Bytes per sample as the plan's tensor arguments give it; 0 for buffers shared by all samples. */
    long stride() {
        return kind == Kind.SCRATCH || kind == Kind.CONST || local ? 0 : bytes;
    }

    void use(int op) {
        firstUse = Math.min(firstUse, op);
        lastUse = Math.max(lastUse, op);
    }

    @Override
    public String toString() {
        return kind + " " + name + " (" + bytes + " bytes)";
    }
}
