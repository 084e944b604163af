package io.wasminference.format;

import io.wasminference.abi.ModelMetadata;
import io.wasminference.errors.InvalidInputException;
import org.apache.flink.annotation.PublicEvolving;

import java.io.Serializable;

/**
 * Turns the value bytes of one record into a {@link Sample}, choosing the format by its first bytes: the binary
 * magic {@code WIT1}, else JSON. Empty and oversized values are rejected before parsing. Every failure is an
 * {@link InvalidInputException} that says what was wrong.
 */
@PublicEvolving
public final class RecordDecoder {
    /** Which formats a decoder accepts. */
    public enum Format implements Serializable {
        /** Binary when it starts with {@code WIT1}, JSON otherwise. */
        AUTO,
        JSON,
        BINARY
    }

    private final Format format;
    private final int maxBytes;
    private final JsonSampleCodec json;
    private final BinaryTensorCodec binary;

    public RecordDecoder(ModelMetadata metadata, Format format, int maxBytes) {
        this.format = format;
        this.maxBytes = maxBytes;
        this.json = new JsonSampleCodec(metadata);
        this.binary = new BinaryTensorCodec(metadata);
    }

    public Sample decode(byte[] value) {
        if (value == null || value.length == 0) {
            throw new InvalidInputException("empty record value: expected a JSON sample or a binary WIT1 record");
        }
        if (value.length > maxBytes) {
            throw new InvalidInputException("record value of " + value.length + " bytes exceeds the limit of "
                    + maxBytes + " bytes");
        }
        boolean isBinary = BinaryTensorCodec.isBinary(value);
        if (format == Format.BINARY || (format == Format.AUTO && isBinary)) {
            return binary.decode(value);
        }
        if (format == Format.JSON && isBinary) {
            throw new InvalidInputException("binary WIT1 record on an input that accepts JSON only (format "
                    + Format.JSON + "; " + Format.AUTO + " or " + Format.BINARY + " accept it)");
        }
        return json.decode(new String(value, java.nio.charset.StandardCharsets.UTF_8));
    }
}
