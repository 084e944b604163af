package io.wasminference.compiler.ops;

import io.wasminference.compiler.graph.Node;

import java.util.Arrays;

/**
 * The resolved geometry of a convolution or pooling window over 1 or 2 spatial dimensions (a 1-D op is a 2-D one
 * of height 1): kernel, strides, dilations, explicit pads on each side, and the output size. auto_pad and
 * ceil_mode are resolved here, once, for shape inference and lowering alike.
 */
public record ConvGeometry(int[] in, int[] kernel, int[] strides, int[] dilations, int[] padBegin, int[] padEnd,
                           int[] out) {

    /**
     * @param spatial the input's spatial dimensions (rank-2 or rank-1 sizes, after N and C)
     * @param kernel the window's size per spatial dimension
     * @param ceilMode pooling's ceil_mode (convolutions pass false)
     */
    public static ConvGeometry of(Node n, int[] spatial, int[] kernel, boolean ceilMode) {
        int r = spatial.length;
        if (r < 1 || r > 2) {
            throw n.unsupported("only 1-D and 2-D windows are supported, this one has " + r
                    + " spatial dimensions");
        }
        int[] strides = ints(n, "strides", r, 1);
        int[] dil = ints(n, "dilations", r, 1);
        for (int i = 0; i < r; i++) {
            if (strides[i] < 1 || dil[i] < 1 || kernel[i] < 1) {
                throw n.unsupported("strides, dilations and kernel sizes must be positive");
            }
        }
        String autoPad = n.stringAttr("auto_pad", "NOTSET");
        long[] pads = n.intsAttr("pads");
        int[] begin = new int[r];
        int[] end = new int[r];
        int[] out = new int[r];
        for (int i = 0; i < r; i++) {
            int span = (kernel[i] - 1) * dil[i] + 1;
            switch (autoPad) {
                case "NOTSET", "" -> {
                    if (pads != null) {
                        if (pads.length != 2 * r) {
                            throw n.unsupported("pads " + Arrays.toString(pads) + " should have " + 2 * r + " values");
                        }
                        begin[i] = (int) pads[i];
                        end[i] = (int) pads[i + r];
                        if (begin[i] < 0 || end[i] < 0) {
                            throw n.unsupported("negative pads are not supported");
                        }
                    }
                    int total = spatial[i] + begin[i] + end[i] - span;
                    if (total < 0) {
                        throw n.unsupported("the window (" + span + ") is larger than the padded input ("
                                + (spatial[i] + begin[i] + end[i]) + ")");
                    }
                    out[i] = ceilMode ? (total + strides[i] - 1) / strides[i] + 1 : total / strides[i] + 1;
                    if (ceilMode && (out[i] - 1) * strides[i] >= spatial[i] + begin[i]) {
                        out[i]--; // the last window must start inside the input or its leading pad
                    }
                }
                case "VALID" -> {
                    int total = spatial[i] - span;
                    if (total < 0) {
                        throw n.unsupported("the window (" + span + ") is larger than the input (" + spatial[i] + ")");
                    }
                    out[i] = ceilMode ? (total + strides[i] - 1) / strides[i] + 1 : total / strides[i] + 1;
                }
                case "SAME_UPPER", "SAME_LOWER" -> {
                    out[i] = (spatial[i] + strides[i] - 1) / strides[i];
                    int need = Math.max(0, (out[i] - 1) * strides[i] + span - spatial[i]);
                    begin[i] = autoPad.equals("SAME_UPPER") ? need / 2 : (need + 1) / 2;
                    end[i] = need - begin[i];
                }
                default -> throw n.unsupported("auto_pad '" + autoPad + "' is not supported");
            }
        }
        return new ConvGeometry(spatial.clone(), kernel.clone(), strides, dil, begin, end, out);
    }

    private static int[] ints(Node n, String key, int r, int dflt) {
        long[] v = n.intsAttr(key);
        int[] out = new int[r];
        Arrays.fill(out, dflt);
        if (v != null) {
            if (v.length != r) {
                throw n.unsupported(key + " " + Arrays.toString(v) + " should have " + r + " values");
            }
            for (int i = 0; i < r; i++) {
                out[i] = (int) v[i];
            }
        }
        return out;
    }

    /** The geometry as 2-D (height, width): a 1-D one has height 1. */
    public ConvGeometry as2d() {
        if (in.length == 2) {
            return this;
        }
        return new ConvGeometry(new int[] {1, in[0]}, new int[] {1, kernel[0]}, new int[] {1, strides[0]},
                new int[] {1, dilations[0]}, new int[] {0, padBegin[0]}, new int[] {0, padEnd[0]},
                new int[] {1, out[0]});
    }

    public boolean padded() {
        for (int i = 0; i < in.length; i++) {
            if (padBegin[i] != 0 || padEnd[i] != 0) {
                return true;
            }
        }
        return false;
    }
}
