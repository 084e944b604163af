package io.wasminference.compiler.graph;

/**
 * A tensor in the graph: a model input, a node's output, or a constant. Mutable while the compiler works on the
 * graph: shape inference sets {@code type} and {@code shape}, folding sets {@code constant}.
 */
public final class Value {
    private final String name;
    private ElemType type;
    private int[] shape;
    private ConstTensor constant;
    private Node producer;

    public Value(String name) {
        this.name = name;
    }

    public static Value ofConstant(String name, ConstTensor c) {
        Value v = new Value(name);
        v.setConstant(c);
        return v;
    }

    public String name() {
        return name;
    }

    public ElemType type() {
        return type;
    }

    /** The shape with the batch dimension set to the size being compiled for; null until inferred. */
    public int[] shape() {
        return shape == null ? null : shape.clone();
    }

    public int rank() {
        return shape.length;
    }

    public int dim(int i) {
        return shape[i];
    }

    public long size() {
        return Shapes.size(shape);
    }

    public void setType(ElemType type) {
        this.type = type;
    }

    public void setShape(int[] shape) {
        this.shape = shape.clone();
    }

    public void set(ElemType type, int[] shape) {
        this.type = type;
        this.shape = shape.clone();
    }

    public boolean isConstant() {
        return constant != null;
    }

    public ConstTensor constant() {
        return constant;
    }

    public void setConstant(ConstTensor c) {
        this.constant = c;
        this.type = c.type();
        this.shape = c.shape();
    }

    public Node producer() {
        return producer;
    }

    void setProducer(Node producer) {
        this.producer = producer;
    }

    @Override
    public String toString() {
        return "'" + name + "'";
    }
}
