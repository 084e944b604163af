package io.wasminference.abi;

/** What a model's outputs mean, as declared by its metadata. */
public enum ModelKind {
    /** The first output is a vector of class scores; predictions carry top-k labels. */
    CLASSIFIER,
    /** Outputs are passed through as tensors. */
    GENERIC
}
