package io.wasminference.compiler.graph;

import io.wasminference.compiler.UnsupportedModelException;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One operator application. Attributes are read through typed getters that remember which ones were read, so
 * the compiler can refuse a node that carries an attribute no code looked at ({@link #unreadAttributes()})
 * instead of silently ignoring it.
 */
public final class Node {
    private final String name;
    private final String opType;
    private final String domain;
    private final List<Value> inputs;
    private final List<Value> outputs;
    private final Map<String, Object> attributes;
    private final Set<String> read = new HashSet<>();

    /**
     * @param inputs inputs in order; null for an omitted optional input
     * @param attributes values are Long, Float, String, ConstTensor, long[], float[] or String[]
     */
    public Node(String name, String opType, String domain, List<Value> inputs, List<Value> outputs,
                Map<String, Object> attributes) {
        this.name = name;
        this.opType = opType;
        this.domain = domain == null ? "" : domain;
        this.inputs = new ArrayList<>(inputs);
        this.outputs = new ArrayList<>(outputs);
        this.attributes = new LinkedHashMap<>(attributes);
        for (Value v : outputs) {
            v.setProducer(this);
        }
    }

    public String name() {
        return name;
    }

    public String opType() {
        return opType;
    }

    public String domain() {
        return domain;
    }

    /** "Conv 'conv1'": how messages name a node. */
    public String describe() {
        return opType + " node '" + name + "'";
    }

    public List<Value> inputs() {
        return Collections.unmodifiableList(inputs);
    }

    public List<Value> outputs() {
        return Collections.unmodifiableList(outputs);
    }

    /** Input i, or null when it is omitted (past the end or an empty name). */
    public Value input(int i) {
        return i < inputs.size() ? inputs.get(i) : null;
    }

    public Value output(int i) {
        return outputs.get(i);
    }

    public int inputCount() {
        return inputs.size();
    }

    public void replaceInput(int i, Value v) {
        inputs.set(i, v);
    }

    public void replaceInput(Value old, Value v) {
        for (int i = 0; i < inputs.size(); i++) {
            if (inputs.get(i) == old) {
                inputs.set(i, v);
            }
        }
    }

    public void setInputs(List<Value> values) {
        inputs.clear();
        inputs.addAll(values);
    }

    public boolean hasAttribute(String key) {
        return attributes.containsKey(key);
    }

    public Set<String> unreadAttributes() {
        Set<String> s = new HashSet<>(attributes.keySet());
        s.removeAll(read);
        return s;
    }

    public void setAttribute(String key, Object value) {
        attributes.put(key, value);
    }

    public Map<String, Object> attributes() {
        return Collections.unmodifiableMap(attributes);
    }

    private Object attr(String key) {
        read.add(key);
        return attributes.get(key);
    }

    public long intAttr(String key, long dflt) {
        Object v = attr(key);
        if (v == null) {
            return dflt;
        }
        if (v instanceof Long l) {
            return l;
        }
        throw bad(key, "an integer", v);
    }

    public float floatAttr(String key, float dflt) {
        Object v = attr(key);
        if (v == null) {
            return dflt;
        }
        if (v instanceof Float f) {
            return f;
        }
        if (v instanceof Long l) {
            return l;
        }
        throw bad(key, "a float", v);
    }

    public String stringAttr(String key, String dflt) {
        Object v = attr(key);
        if (v == null) {
            return dflt;
        }
        if (v instanceof String s) {
            return s;
        }
        throw bad(key, "a string", v);
    }

    /** An ints attribute, or null when absent. */
    public long[] intsAttr(String key) {
        Object v = attr(key);
        if (v == null) {
            return null;
        }
        if (v instanceof long[] l) {
            return l.clone();
        }
        throw bad(key, "a list of integers", v);
    }

    public float[] floatsAttr(String key) {
        Object v = attr(key);
        if (v == null) {
            return null;
        }
        if (v instanceof float[] f) {
            return f.clone();
        }
        throw bad(key, "a list of floats", v);
    }

    public ConstTensor tensorAttr(String key) {
        Object v = attr(key);
        if (v == null) {
            return null;
        }
        if (v instanceof ConstTensor t) {
            return t;
        }
        throw bad(key, "a tensor", v);
    }

    /** Marks an attribute as understood without reading it (e.g. a training-only hint such as momentum). */
    public void ignoreAttribute(String key) {
        read.add(key);
    }

    private UnsupportedModelException bad(String key, String expected, Object v) {
        return new UnsupportedModelException(describe() + ": attribute '" + key + "' should be " + expected
                + ", found " + (v instanceof long[] l ? Arrays.toString(l) : v instanceof float[] f
                        ? Arrays.toString(f) : String.valueOf(v)));
    }

    /** A refusal that names this node. */
    public UnsupportedModelException unsupported(String what) {
        return new UnsupportedModelException(describe() + ": " + what);
    }

    @Override
    public String toString() {
        return describe();
    }
}
