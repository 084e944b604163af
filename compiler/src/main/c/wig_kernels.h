/* wig_kernels.h -- the graph runtime's kernels: generalized convolution, depthwise convolution, pooling,
 * broadcasting elementwise ops, softmax, strided copies, padding, matmul, reductions and type conversion.
 *
 * Built in one translation unit with samples/kernels/wi_kernels.c (graph_runtime.c includes both), so the
 * SIMD128 building blocks (splat4, mac_steps, the dense kernel) are shared with the hand-written samples.
 * Layouts: images are NHWC (channels innermost), one sample at a time unless a kernel says otherwise.
 */
#ifndef WIG_KERNELS_H
#define WIG_KERNELS_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    int h, w, cin, oh, ow, cout, kh, kw, sy, sx, dy, dx, pt, pl, pb, pr, groups;
    int act;
    float p0, p1;
} wig_conv_params;

/* Floats of scratch wig_conv needs: the zero-padded input, then (SIMD builds) its splatted copy. */
size_t wig_conv_scratch(const wig_conv_params *p);
/* One image. w: [groups][kh][kw][cin/groups][cout/groups]; bias: [cout] or NULL. */
void wig_conv(float *out, const float *in, const float *w, const float *bias, const wig_conv_params *p,
              float *scratch);
/* Depthwise (one filter per channel, p->cin == p->cout == p->groups). w: [kh][kw][c]. scratch: the padded
 * input, wig_dwconv_scratch() floats. */
size_t wig_dwconv_scratch(const wig_conv_params *p);
void wig_dwconv(float *out, const float *in, const float *w, const float *bias, const wig_conv_params *p,
                float *scratch);

/* Applies an activation (WIG_ACT_*) in place to n values. */
void wig_activate(float *x, size_t n, int act, float p0, float p1);

#endif /* WIG_KERNELS_H */
