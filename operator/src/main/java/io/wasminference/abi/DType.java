package io.wasminference.abi;

import org.apache.flink.annotation.PublicEvolving;

import java.util.Locale;

/** Element types a tensor may have in ABI v1; the names are the ones used in the metadata section. */
@PublicEvolving
public enum DType {
    F32("f32", 4),
    F64("f64", 8),
    I32("i32", 4),
    I64("i64", 8),
    I8("i8", 1),
    U8("u8", 1);

    private final String abiName;
    private final int byteSize;

    DType(String abiName, int byteSize) {
        this.abiName = abiName;
        this.byteSize = byteSize;
    }

    /** The name used in metadata and record formats, e.g. {@code f32}. */
    public String abiName() {
        return abiName;
    }

    /** Size of one element in bytes. */
    public int byteSize() {
        return byteSize;
    }

    /**
     * Parses an ABI dtype name.
     *
     * @throws IllegalArgumentException naming the accepted types when {@code name} is not one
     */
    public static DType fromAbiName(String name) {
        for (DType t : values()) {
            if (t.abiName.equals(name.toLowerCase(Locale.ROOT))) {
                return t;
            }
        }
        throw new IllegalArgumentException(
                "unknown dtype '" + name + "' (ABI v1 accepts f32, f64, i32, i64, i8, u8)");
    }

    @Override
    public String toString() {
        return abiName;
    }
}
