package io.wasminference.abi;

import org.apache.flink.annotation.Internal;

/**
 * Layout of the ABI v1 control block (docs/abi.md §4): a 32-byte header followed by one 16-byte slot per input,
 * then per output. All fields are 32-bit little-endian.
 */
@Internal
public final class ControlBlock {
    /** {@code "WCB1"} read as a little-endian u32. */
    public static final int MAGIC = 0x31424357;
    public static final int ABI_VERSION = 1;

    public static final int HEADER_BYTES = 32;
    public static final int SLOT_BYTES = 16;

    public static final int OFF_MAGIC = 0;
    public static final int OFF_ABI = 4;
    public static final int OFF_BATCH = 8;
    public static final int OFF_N_INPUTS = 12;
    public static final int OFF_N_OUTPUTS = 16;
    public static final int OFF_MSG_PTR = 20;
    public static final int OFF_MSG_LEN = 24;

    public static final int SLOT_PTR = 0;
    public static final int SLOT_CAPACITY = 4;
    public static final int SLOT_LENGTH = 8;

    /** Longest module error message the host reads. */
    public static final int MAX_MESSAGE_BYTES = 1024;

    /** Exported function returning the control block address. */
    public static final String EXPORT_CONTROL = "wi_control";
    /** Exported function running one batch and returning a status. */
    public static final String EXPORT_RUN = "wi_run";
    /** Optional exported reactor initializer. */
    public static final String EXPORT_INITIALIZE = "_initialize";
    /** Name of an exported memory. */
    public static final String EXPORT_MEMORY = "memory";
    /** Module and name of an imported memory. */
    public static final String IMPORT_MEMORY_MODULE = "env";
    public static final String IMPORT_MEMORY_NAME = "memory";

    private ControlBlock() {}

    /** Offset of slot {@code slot} (inputs first, then outputs) from the start of the block. */
    public static int slotOffset(int slot) {
        return HEADER_BYTES + slot * SLOT_BYTES;
    }

    /** Total size of a block with this many slots. */
    public static int size(int slots) {
        return HEADER_BYTES + slots * SLOT_BYTES;
    }
}
