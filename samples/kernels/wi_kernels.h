/* wi_kernels.h -- small float32 neural-network kernels for the wasm-inference sample models.
 *
 * No libc. Three builds of the same source:
 *   - wasm32 with -msimd128: hand-written SIMD128 kernels (wasm_simd128.h);
 *   - x86 with SSE2 (any x86-64 native build): the same kernels on SSE2 intrinsics, for native benchmarks;
 *   - anything else, or -DWI_SCALAR: portable scalar C.
 * All three give bit-identical results: SIMD lanes only ever run over independent outputs (output channels,
 * output neurons, pixels), never over a reduction, so every output is accumulated in the same order
 * (bias first, then the reduction index ascending), and each multiply and add rounds separately. Build native
 * code with -ffp-contract=off so the compiler does not fuse them into FMAs.
 *
 * Layouts: activations are row-major, batch-major; images are HWC (channels innermost). Convolution weights
 * are HWIO ([kh][kw][cin][cout]); dense weights are [in][out]. Outputs never alias inputs unless stated.
 */
#ifndef WI_KERNELS_H
#define WI_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Which implementation this build uses: "wasm-simd128", "sse2" or "scalar". */
const char *wi_kernels_impl(void);

/* out[i] = (float)in[i] * scale + shift   (one float32 multiply, then one float32 add) */
void wi_u8_to_f32(float *out, const uint8_t *in, size_t n, float scale, float shift);

/* out[i] = in[i] * scale + shift   (out may equal in) */
void wi_affine_f32(float *out, const float *in, size_t n, float scale, float shift);

/* out[i] = in[i] * scale   (out may equal in) */
void wi_scale_f32(float *out, const float *in, size_t n, float scale);

/* x[i] = max(x[i], 0) in place (x < 0 ? 0 : x; NaN stays NaN) */
void wi_relu(float *x, size_t n);

/* Fully connected layer over a batch: y[b][o] = bias[o] + sum_k x[b][k] * w[k][o], k ascending.
 * x: [batch][n_in], w: [n_in][n_out], bias: [n_out] (or NULL for 0), y: [batch][n_out]. relu != 0 applies ReLU.
 * scratch: WI_DENSE_SCRATCH(n_in) floats (the SIMD builds splat 4 input rows into it; the scalar build ignores it).
 * SIMD: blocks of 4 samples x 8 outputs. */
#define WI_DENSE_SCRATCH(n_in) (16 * (size_t)(n_in))
void wi_dense(float *y, const float *x, int batch, int n_in, const float *w, const float *bias, int n_out,
              int relu, float *scratch);

/* 2-D convolution, stride 1, one image in HWC layout.
 * in: [h][w][cin]; k: [kh][kw][cin][cout]; bias: [cout] (or NULL); out: [oh][ow][cout] with
 * oh = h + 2*pad - kh + 1, ow = w + 2*pad - kw + 1. pad = 0 is 'valid'; pad = (kh-1)/2 is 'same' for odd
 * square kernels. scratch: WI_CONV_SCRATCH(h, w, cin, pad) floats (the zero-padded copy, then the SIMD builds'
 * splatted copy of it). Each output: bias, then taps in order ky, kx, ci. relu != 0 applies ReLU.
 * SIMD: vectorised over output channels, 2-4 pixels per block. */
#define WI_CONV_SCRATCH(h, w, cin, pad) (5 * (size_t)((h) + 2 * (pad)) * ((w) + 2 * (pad)) * (cin))
void wi_conv2d_hwc(float *out, const float *in, int h, int w, int cin, const float *k, const float *bias,
                   int kh, int kw, int cout, int pad, int relu, float *scratch);

/* Copy an HWC image into the centre of a zero-filled (h+2*pad) x (w+2*pad) HWC image. */
void wi_pad_hwc(float *out, const float *in, int h, int w, int c, int pad);

/* 2x2 max pooling, stride 2, HWC: out[(h/2)][(w/2)][c] (odd trailing row/column dropped, as PyTorch). */
void wi_maxpool2x2_hwc(float *out, const float *in, int h, int w, int c);

/* exp(x) for float32, max error ~1 ulp over the finite range; exp(-inf)=0, exp(+inf)=inf, NaN -> NaN. */
float wi_expf(float x);

/* In-place softmax over each row of x[rows][n] (max-subtracted, so large logits do not overflow). */
void wi_softmax(float *x, int rows, int n);

/* Index of the largest element (first one on ties). */
int wi_argmax(const float *x, int n);

/* Tiny replacements for libc (not available in the wasm builds). */
void wi_fill_f32(float *dst, float v, size_t n);
void wi_copy_f32(float *dst, const float *src, size_t n);

/* 1 if no element of x is NaN or +-Inf. */
int wi_all_finite(const float *x, size_t n);

/* 1 if v is NaN or +-Inf. */
static inline int wi_is_nonfinite(float v) {
    union { float f; uint32_t u; } c;
    c.f = v;
    return (c.u & 0x7f800000u) == 0x7f800000u;
}

#ifdef __cplusplus
}
#endif

#endif /* WI_KERNELS_H */
