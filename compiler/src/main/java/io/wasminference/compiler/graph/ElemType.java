package io.wasminference.compiler.graph;

import io.wasminference.abi.DType;

import java.util.Optional;

/** ONNX tensor element types (TensorProto.DataType), with the ABI v1 dtype each maps to where there is one. */
public enum ElemType {
    FLOAT(1, DType.F32),
    UINT8(2, DType.U8),
    INT8(3, DType.I8),
    UINT16(4, null),
    INT16(5, null),
    INT32(6, DType.I32),
    INT64(7, DType.I64),
    STRING(8, null),
    BOOL(9, null),
    FLOAT16(10, null),
    DOUBLE(11, DType.F64),
    UINT32(12, null),
    UINT64(13, null),
    BFLOAT16(16, null);

    private final int onnxCode;
    private final DType abi;

    ElemType(int onnxCode, DType abi) {
        this.onnxCode = onnxCode;
        this.abi = abi;
    }

    public int onnxCode() {
        return onnxCode;
    }

    /** The ABI v1 dtype of this type, if a module may take or return it. */
    public Optional<DType> abiType() {
        return Optional.ofNullable(abi);
    }

    public boolean isFloat() {
        return this == FLOAT || this == DOUBLE || this == FLOAT16 || this == BFLOAT16;
    }

    public static ElemType ofOnnx(int code) {
        for (ElemType t : values()) {
            if (t.onnxCode == code) {
                return t;
            }
        }
        throw new IllegalArgumentException("unknown ONNX element type " + code);
    }

    public static ElemType ofAbi(DType dtype) {
        for (ElemType t : values()) {
            if (t.abi == dtype) {
                return t;
            }
        }
        throw new IllegalArgumentException("no ONNX type for " + dtype);
    }

    @Override
    public String toString() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
