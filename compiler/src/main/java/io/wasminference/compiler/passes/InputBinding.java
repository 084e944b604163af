package io.wasminference.compiler.passes;

import io.wasminference.compiler.CompileOptions;
import io.wasminference.compiler.InputOptions;
import io.wasminference.compiler.UnsupportedModelException;
import io.wasminference.compiler.graph.ElemType;
import io.wasminference.compiler.graph.Graph;
import io.wasminference.compiler.graph.Value;
import io.wasminference.compiler.onnx.OnnxImporter.InputDecl;

import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Gives every model input a concrete shape: the batch dimension (dimension 0, when the model has a batch axis)
 * set to the size being compiled for, every other open dimension from {@link InputOptions#sampleShape()}.
 */
public final class InputBinding {
    private InputBinding() {}

    public static void bind(Graph g, List<InputDecl> decls, CompileOptions options, int batch) {
        Set<String> known = new HashSet<>();
        for (int i = 0; i < decls.size(); i++) {
            InputDecl d = decls.get(i);
            Value v = g.inputs().get(i);
            known.add(d.name());
            InputOptions io = options.inputs().get(d.name());
            v.set(d.type(), shape(d, io, options.batchAxis(), batch));
            if (d.type() == ElemType.STRING || d.type().abiType().isEmpty() && d.type() != ElemType.BOOL) {
                throw new UnsupportedModelException("model input '" + d.name() + "' has element type " + d.type()
                        + ", which no ABI v1 record can carry (f32, f64, i32, i64, i8, u8 can)");
            }
        }
        for (String name : options.inputs().keySet()) {
            if (!known.contains(name)) {
                throw new UnsupportedModelException("an option names input '" + name + "', but the model's inputs "
                        + "are " + decls.stream().map(InputDecl::name).toList());
            }
        }
    }

    private static int[] shape(InputDecl d, InputOptions io, boolean batchAxis, int batch) {
        int[] given = io == null ? null : io.sampleShape();
        if (d.dims() == null && given == null) {
            throw new UnsupportedModelException("model input '" + d.name() + "' declares no shape; give the shape "
                    + "of one sample with the compile flag --input " + d.name() + "::SHAPE (e.g. 3x224x224)");
        }
        long[] dims = d.dims();
        int offset = batchAxis ? 1 : 0;
        if (dims != null && batchAxis) {
            if (dims.length == 0) {
                throw new UnsupportedModelException("model input '" + d.name() + "' is a scalar, so it has no batch "
                        + "dimension; compile with --no-batch-axis");
            }
            if (dims[0] > 1) {
                throw new UnsupportedModelException("model input '" + d.name() + "' has a fixed first dimension of "
                        + dims[0] + ", so it cannot be the batch dimension. Export the model with a dynamic batch "
                        + "axis (torch.onnx.export(..., dynamic_axes={'" + d.name() + "': {0: 'batch'}})), or "
                        + "compile with --no-batch-axis to take the whole tensor as one sample");
            }
        }
        int rank = given != null ? given.length + offset : dims.length;
        if (dims != null && given != null && given.length + offset != dims.length) {
            throw new UnsupportedModelException("the sample shape given for input '" + d.name() + "' "
                    + Arrays.toString(given) + " has " + given.length + " dimensions; the model's input "
                    + describe(d) + " needs " + (dims.length - offset) + (batchAxis ? " (without the batch)" : ""));
        }
        int[] out = new int[rank];
        for (int i = 0; i < rank; i++) {
            if (batchAxis && i == 0) {
                out[i] = batch;
                continue;
            }
            long model = dims == null ? -1 : dims[i];
            long user = given == null ? -1 : given[i - offset];
            if (model > 0 && user > 0 && model != user) {
                throw new UnsupportedModelException("the sample shape given for input '" + d.name() + "' "
                        + Arrays.toString(given) + " contradicts the model's " + describe(d));
            }
            long dim = model > 0 ? model : user;
            if (dim <= 0) {
                throw new UnsupportedModelException("model input '" + d.name() + "' " + describe(d)
                        + " has dynamic dimensions besides the batch; give the shape of one sample with the compile "
                        + "flag --input " + d.name() + "::" + example(dims, offset) + " (D1, D2...: the sizes the "
                        + "records will have)");
            }
            out[i] = (int) dim;
        }
        return out;
    }

    private static String describe(InputDecl d) {
        if (d.dims() == null) {
            return "(no declared shape)";
        }
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < d.dims().length; i++) {
            if (i > 0) {
                sb.append(", ");
            }
            sb.append(d.dims()[i] > 0 ? Long.toString(d.dims()[i])
                    : d.dimNames() != null && d.dimNames()[i] != null ? d.dimNames()[i] : "?");
        }
        return sb.append("]").toString();
    }

    private static String example(long[] dims, int offset) {
        StringBuilder sb = new StringBuilder();
        int open = 0;
        for (int i = offset; i < dims.length; i++) {
            if (i > offset) {
                sb.append('x');
            }
            sb.append(dims[i] > 0 ? Long.toString(dims[i]) : "D" + ++open);
        }
        return sb.toString();
    }
}
