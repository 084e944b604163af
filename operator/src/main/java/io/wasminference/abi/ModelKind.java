package io.wasminference.abi;

import org.apache.flink.annotation.PublicEvolving;

/** What a model's outputs mean, as declared by its metadata. */
@PublicEvolving
public enum ModelKind {
    /** The first output is a vector of class scores; predictions carry top-k labels. */
    CLASSIFIER,
    /** Outputs are passed through as tensors. */
    GENERIC
}
