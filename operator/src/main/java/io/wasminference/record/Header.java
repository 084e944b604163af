package io.wasminference.record;

import org.apache.flink.annotation.PublicEvolving;

import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/** A record header carried from input to prediction (a Kafka header, typically). */
@PublicEvolving
public final class Header implements Serializable {
    private static final long serialVersionUID = 1L;

    private final String name;
    private final byte[] value;

    public Header(String name, byte[] value) {
        this.name = Objects.requireNonNull(name, "name");
        this.value = value == null ? null : value.clone();
    }

    public static Header of(String name, String value) {
        return new Header(name, value == null ? null : value.getBytes(StandardCharsets.UTF_8));
    }

    public String name() {
        return name;
    }

    /** The raw value, or null. */
    public byte[] value() {
        return value == null ? null : value.clone();
    }

    /** The value decoded as UTF-8, or null. */
    public String valueAsString() {
        return value == null ? null : new String(value, StandardCharsets.UTF_8);
    }

    byte[] rawValue() {
        return value;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Header h && name.equals(h.name) && Arrays.equals(value, h.value);
    }

    @Override
    public int hashCode() {
        return 31 * name.hashCode() + Arrays.hashCode(value);
    }

    @Override
    public String toString() {
        return name + "=" + valueAsString();
    }
}
