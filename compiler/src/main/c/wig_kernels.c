/* wig_kernels.c -- see wig_kernels.h. Included by graph_runtime.c after wi_kernels.c (same translation unit). */
#include "wig_kernels.h"
#include "wig_plan.h"

/* ---------------------------------------------------------------- scalar math */

static inline uint32_t f32_bits(float f) {
    union { float f; uint32_t u; } c;
    c.f = f;
    return c.u;
}

static inline float wig_fabsf(float x) { return f32_from_bits(f32_bits(x) & 0x7fffffffu); }

/* exp(x) - 1 without cancellation for small |x| (Taylor series to x^10 below 0.5: error < 3e-10 relative). */
static float wig_expm1f(float x) {
    if (wig_fabsf(x) < 0.5f) {
        float p = 1.0f / 3628800.0f;
        p = p * x + 1.0f / 362880.0f;
        p = p * x + 1.0f / 40320.0f;
        p = p * x + 1.0f / 5040.0f;
        p = p * x + 1.0f / 720.0f;
        p = p * x + 1.0f / 120.0f;
        p = p * x + 1.0f / 24.0f;
        p = p * x + 1.0f / 6.0f;
        p = p * x + 0.5f;
        p = p * x + 1.0f;
        return p * x;
    }
    return wi_expf(x) - 1.0f;
}

static float wig_tanhf(float x) {
    if (x != x) return x;
    float a = wig_fabsf(x);
    float t;
    if (a > 9.0f) {
        t = 1.0f;
    } else {
        float e = wig_expm1f(2.0f * a);
        t = e / (e + 2.0f);
    }
    return x < 0.0f ? -t : t;
}

static float wig_sigmoidf(float x) { return 1.0f / (1.0f + wi_expf(-x)); }

/* ln(x): x = m * 2^e with m in [sqrt(1/2), sqrt(2)); ln(m) = 2 atanh(s), s = (m-1)/(m+1), |s| < 0.172. */
static float wig_logf(float x) {
    if (x != x || x < 0.0f) return f32_from_bits(0x7fc00000u);
    if (x == 0.0f) return f32_from_bits(0xff800000u);
    if (f32_bits(x) == 0x7f800000u) return x;
    int e = 0;
    uint32_t u = f32_bits(x);
    if ((u >> 23) == 0) { /* subnormal: scale up by 2^23 */
        x *= 8388608.0f;
        u = f32_bits(x);
        e = -23;
    }
    e += (int)(u >> 23) - 127;
    float m = f32_from_bits((u & 0x007fffffu) | 0x3f800000u); /* [1, 2) */
    if (m > 1.41421356f) {
        m *= 0.5f;
        e += 1;
    }
    float s = (m - 1.0f) / (m + 1.0f), s2 = s * s;
    float p = 1.0f / 11.0f;
    p = p * s2 + 1.0f / 9.0f;
    p = p * s2 + 1.0f / 7.0f;
    p = p * s2 + 1.0f / 5.0f;
    p = p * s2 + 1.0f / 3.0f;
    p = p * s2 + 1.0f;
    float lnm = 2.0f * s * p;
    return (float)e * 0.693147182464599609375f + lnm;
}

static float wig_sqrtf(float x) { return __builtin_sqrtf(x); }

static float wig_powf(float a, float b) {
    if (b == 1.0f) return a;
    if (b == 2.0f) return a * a;
    if (b == 0.5f) return wig_sqrtf(a);
    if (b == 0.0f) return 1.0f;
    /* integer exponents by squaring (exact sign for negative bases) */
    float bi = (float)(int)b;
    if (bi == b && wig_fabsf(b) < 64.0f) {
        int n = (int)b;
        int neg = n < 0;
        if (neg) n = -n;
        float r = 1.0f, base = a;
        while (n) {
            if (n & 1) r *= base;
            base *= base;
            n >>= 1;
        }
        return neg ? 1.0f / r : r;
    }
    if (a < 0.0f) return f32_from_bits(0x7fc00000u);
    if (a == 0.0f) return b > 0.0f ? 0.0f : f32_from_bits(0x7f800000u);
    /* exp(b * ln a) in double-float steps would be better; float keeps ~1e-6 relative for moderate b ln a */
    return wi_expf(b * wig_logf(a));
}

static inline float act_scalar(float x, int act, float p0, float p1) {
    switch (act) {
        case WIG_ACT_NONE: return x;
        case WIG_ACT_RELU: return RELU(x);
        case WIG_ACT_CLIP: {
            float v = x < p0 ? p0 : x;
            return v > p1 ? p1 : v;
        }
        case WIG_ACT_LEAKY_RELU: return x < 0.0f ? p0 * x : x;
        case WIG_ACT_SIGMOID: return wig_sigmoidf(x);
        case WIG_ACT_HARD_SIGMOID: {
            float v = p0 * x + p1;
            v = v < 0.0f ? 0.0f : v;
            return v > 1.0f ? 1.0f : v;
        }
        case WIG_ACT_HARD_SWISH: {
            float t = x + 3.0f;
            t = t < 0.0f ? 0.0f : t;
            t = t > 6.0f ? 6.0f : t;
            return (x * t) / 6.0f;
        }
        case WIG_ACT_HARD_SWISH_ONNX: {
            float t = x * (1.0f / 6.0f) + 0.5f;
            t = t < 0.0f ? 0.0f : t;
            t = t > 1.0f ? 1.0f : t;
            return x * t;
        }
        case WIG_ACT_TANH: return wig_tanhf(x);
        case WIG_ACT_EXP: return wi_expf(x);
        case WIG_ACT_SQRT: return wig_sqrtf(x);
        case WIG_ACT_NEG: return -x;
        case WIG_ACT_ABS: return wig_fabsf(x);
        case WIG_ACT_RECIPROCAL: return 1.0f / x;
        case WIG_ACT_LOG: return wig_logf(x);
        default: return x;
    }
}

#if WI_VEC
#if defined(__wasm_simd128__)
#define V_SUB(a, b) wasm_f32x4_sub((a), (b))
#define V_DIV(a, b) wasm_f32x4_div((a), (b))
#define V_PMIN(a, b) wasm_f32x4_pmin((a), (b)) /* b < a ? b : a */
#define V_LT(a, b) wasm_f32x4_lt((a), (b))
#define V_SELECT(m, a, b) wasm_v128_bitselect((a), (b), (m)) /* m ? a : b */
#define V_SQRT(a) wasm_f32x4_sqrt(a)
#define V_ABS(a) wasm_f32x4_abs(a)
#define V_NEG(a) wasm_f32x4_neg(a)
#else
#define V_SUB(a, b) _mm_sub_ps((a), (b))
#define V_DIV(a, b) _mm_div_ps((a), (b))
#define V_PMIN(a, b) _mm_min_ps((b), (a))
#define V_LT(a, b) _mm_cmplt_ps((a), (b))
#define V_SELECT(m, a, b) _mm_or_ps(_mm_and_ps((m), (a)), _mm_andnot_ps((m), (b)))
#define V_SQRT(a) _mm_sqrt_ps(a)
#define V_ABS(a) _mm_and_ps((a), _mm_castsi128_ps(_mm_set1_epi32(0x7fffffff)))
#define V_NEG(a) _mm_xor_ps((a), _mm_castsi128_ps(_mm_set1_epi32((int)0x80000000u)))
#endif

/* Activations with exact vector forms (same operations, same order as act_scalar); 0 if there is none. */
static inline int act_has_vec(int act) {
    return act == WIG_ACT_NONE || act == WIG_ACT_RELU || act == WIG_ACT_CLIP || act == WIG_ACT_LEAKY_RELU
        || act == WIG_ACT_HARD_SIGMOID || act == WIG_ACT_HARD_SWISH || act == WIG_ACT_HARD_SWISH_ONNX
        || act == WIG_ACT_NEG || act == WIG_ACT_ABS || act == WIG_ACT_SQRT || act == WIG_ACT_RECIPROCAL;
}

WI_INLINE wi_v4 act_vec(wi_v4 x, int act, float p0, float p1) {
    switch (act) {
        case WIG_ACT_RELU: return V_RELU(x);
        case WIG_ACT_CLIP: return V_PMIN(V_PMAX(x, V_SPLAT(p0)), V_SPLAT(p1));
        case WIG_ACT_LEAKY_RELU: return V_SELECT(V_LT(x, V_ZERO), V_MUL(V_SPLAT(p0), x), x);
        case WIG_ACT_HARD_SIGMOID:
            return V_PMIN(V_PMAX(V_ADD(V_MUL(V_SPLAT(p0), x), V_SPLAT(p1)), V_ZERO), V_SPLAT(1.0f));
        case WIG_ACT_HARD_SWISH: {
            wi_v4 t = V_PMIN(V_PMAX(V_ADD(x, V_SPLAT(3.0f)), V_ZERO), V_SPLAT(6.0f));
            return V_DIV(V_MUL(x, t), V_SPLAT(6.0f));
        }
        case WIG_ACT_HARD_SWISH_ONNX: {
            wi_v4 t = V_PMIN(V_PMAX(V_ADD(V_MUL(x, V_SPLAT(1.0f / 6.0f)), V_SPLAT(0.5f)), V_ZERO), V_SPLAT(1.0f));
            return V_MUL(x, t);
        }
        case WIG_ACT_NEG: return V_NEG(x);
        case WIG_ACT_ABS: return V_ABS(x);
        case WIG_ACT_SQRT: return V_SQRT(x);
        case WIG_ACT_RECIPROCAL: return V_DIV(V_SPLAT(1.0f), x);
        default: return x;
    }
}
#endif

void wig_activate(float *x, size_t n, int act, float p0, float p1) {
    if (act == WIG_ACT_NONE) return;
    size_t i = 0;
#if WI_VEC
    if (act_has_vec(act)) {
        for (; i + 16 <= n; i += 16)
            for (int j = 0; j < 16; j += 4) V_STORE(x + i + j, act_vec(V_LOAD(x + i + j), act, p0, p1));
        for (; i + 4 <= n; i += 4) V_STORE(x + i, act_vec(V_LOAD(x + i), act, p0, p1));
    }
#endif
    for (; i < n; i++) x[i] = act_scalar(x[i], act, p0, p1);
}

/* Kernels fuse only ReLU into their stores (one vector max); any other activation runs as a second pass over
 * the op's output (wig_activate), which keeps one copy of the activation code instead of one per register
 * block: the runtime is compiled by Cranelift at every model load, so its size is load time. */
#if WI_VEC
WI_INLINE void store_relu(float *o, wi_v4 v, int relu) { V_STORE(o, relu ? V_RELU(v) : v); }
#endif

/* ---------------------------------------------------------------- convolution */

static int conv_padded(const wig_conv_params *p) { return p->pt | p->pl | p->pb | p->pr; }

/* Rows and columns of the zero-padded input the windows read (at least the input's, since rows past the last
 * window are still copied). */
static int conv_ph(const wig_conv_params *p) { return p->h + p->pt + p->pb; }
static int conv_pw(const wig_conv_params *p) { return p->w + p->pl + p->pr; }

size_t wig_conv_scratch(const wig_conv_params *p) {
    size_t padded = (size_t)conv_ph(p) * conv_pw(p) * p->cin;
#if WI_VEC
    return padded * 5;
#else
    return padded;
#endif
}

size_t wig_dwconv_scratch(const wig_conv_params *p) {
    return conv_padded(p) ? (size_t)conv_ph(p) * conv_pw(p) * p->cin : 0;
}

/* Copies an HWC image into the zero-filled padded image (pads on each side may differ). */
static void pad_image(float *dst, const float *src, const wig_conv_params *p) {
    int pw = conv_pw(p), c = p->cin;
    wi_fill_f32(dst, 0.0f, (size_t)conv_ph(p) * pw * c);
    for (int y = 0; y < p->h; y++)
        wi_copy_f32(dst + ((size_t)(y + p->pt) * pw + p->pl) * c, src + (size_t)y * p->w * c, (size_t)p->w * c);
}

/* Scalar reference for output pixels [ox0, ox1) of row oy, group g, channels [co0, co1) of the group. Same
 * accumulation order as the vector blocks: bias, then taps ky, kx, ci ascending. */
static void conv_scalar_px(float *out, const float *in, const float *w, const float *bias,
                           const wig_conv_params *p, int g, int oy, int ox0, int ox1, int co0, int co1) {
    int cin_g = p->cin / p->groups, cout_g = p->cout / p->groups, pw = conv_pw(p);
    const float *wg = w + (size_t)g * p->kh * p->kw * cin_g * cout_g;
    for (int ox = ox0; ox < ox1; ox++) {
        float *op = out + ((size_t)oy * p->ow + ox) * p->cout + (size_t)g * cout_g;
        for (int co = co0; co < co1; co++) op[co] = bias ? bias[g * cout_g + co] : 0.0f;
        for (int ky = 0; ky < p->kh; ky++)
            for (int kx = 0; kx < p->kw; kx++) {
                const float *px = in + ((size_t)(oy * p->sy + ky * p->dy) * pw + ox * p->sx + kx * p->dx) * p->cin
                    + (size_t)g * cin_g;
                const float *wt = wg + ((size_t)(ky * p->kw + kx) * cin_g) * cout_g;
                for (int ci = 0; ci < cin_g; ci++) {
                    float v = px[ci];
                    for (int co = co0; co < co1; co++) op[co] = op[co] + v * wt[(size_t)ci * cout_g + co];
                }
            }
        if (p->act == WIG_ACT_RELU)
            for (int co = co0; co < co1; co++) op[co] = RELU(op[co]);
    }
}

#if WI_VEC
/* NP pixels x NV*4 channels of group g, starting at (oy, ox, co). `ins` is the padded input, splatted. Taps of
 * one kernel row are contiguous when the kernel is not dilated and there is one group: one mac_steps run per
 * kernel row; otherwise one per tap position. */
WI_INLINE void gconv_block(float *out, const float *ins, const float *w, const float *bias,
                           const wig_conv_params *p, int g, int oy, int ox, int co, const int NP, const int NV) {
    int cin_g = p->cin / p->groups, cout_g = p->cout / p->groups, pw = conv_pw(p);
    wi_v4 acc[4][4];
    for (int j = 0; j < NV; j++) {
        wi_v4 b = bias ? V_LOAD(bias + g * cout_g + co + 4 * j) : V_ZERO;
        for (int q = 0; q < NP; q++) acc[q][j] = b;
    }
    const float *wg = w + (size_t)g * p->kh * p->kw * cin_g * cout_g + co;
    size_t pixel_stride = 4 * (size_t)p->cin * p->sx;
    int merged = p->dx == 1 && p->groups == 1;
    for (int ky = 0; ky < p->kh; ky++) {
        const float *row = ins + 4 * (((size_t)(oy * p->sy + ky * p->dy) * pw + (size_t)ox * p->sx) * p->cin
                                      + (size_t)g * cin_g);
        const float *wr = wg + (size_t)ky * p->kw * cin_g * cout_g;
        if (merged) {
            mac_steps(acc, wr, (size_t)cout_g, row, pixel_stride, p->kw * cin_g, NP, NV);
        } else {
            for (int kx = 0; kx < p->kw; kx++)
                mac_steps(acc, wr + (size_t)kx * cin_g * cout_g, (size_t)cout_g,
                          row + 4 * (size_t)kx * p->dx * p->cin, pixel_stride, cin_g, NP, NV);
        }
    }
    for (int q = 0; q < NP; q++) {
        float *op = out + ((size_t)oy * p->ow + ox + q) * p->cout + (size_t)g * cout_g + co;
        for (int j = 0; j < NV; j++) store_relu(op + 4 * j, acc[q][j], p->act == WIG_ACT_RELU);
    }
}

WI_INLINE void gconv_row(float *out, const float *ins, const float *w, const float *bias, const wig_conv_params *p,
                         int g, int oy, int co, const int NP, const int NV) {
    int ox = 0;
    for (; ox + NP <= p->ow; ox += NP) gconv_block(out, ins, w, bias, p, g, oy, ox, co, NP, NV);
    for (; ox < p->ow; ox++) gconv_block(out, ins, w, bias, p, g, oy, ox, co, 1, NV);
}
#endif

void wig_conv(float *out, const float *in, const float *w, const float *bias, const wig_conv_params *p,
              float *scratch) {
    /* stride 1, one group, the same pad on every side: the sample models' kernel (same weight layout, same
     * scratch), with its unrolled 5x5 single-channel path */
    if (p->sy == 1 && p->sx == 1 && p->dy == 1 && p->dx == 1 && p->groups == 1 && p->pt == p->pl
        && p->pt == p->pb && p->pt == p->pr && (p->act == WIG_ACT_RELU || p->act == WIG_ACT_NONE)) {
        wi_conv2d_hwc(out, in, p->h, p->w, p->cin, w, bias, p->kh, p->kw, p->cout, p->pt, p->act == WIG_ACT_RELU,
                      scratch);
        return;
    }
    size_t padded = (size_t)conv_ph(p) * conv_pw(p) * p->cin;
    const float *src = in;
    if (conv_padded(p)) {
        pad_image(scratch, in, p);
        src = scratch;
    }
    int cout_g = p->cout / p->groups;
#if WI_VEC
    float *ins = scratch + padded;
    splat4(ins, src, padded);
#else
    (void)padded;
#endif
    for (int g = 0; g < p->groups; g++)
        for (int oy = 0; oy < p->oh; oy++) {
            int co = 0;
#if WI_VEC
            for (; co + 16 <= cout_g; co += 16) gconv_row(out, ins, w, bias, p, g, oy, co, 2, 4);
            for (; co + 8 <= cout_g; co += 8) gconv_row(out, ins, w, bias, p, g, oy, co, 4, 2);
            for (; co + 4 <= cout_g; co += 4) gconv_row(out, ins, w, bias, p, g, oy, co, 4, 1);
#endif
            if (co < cout_g) conv_scalar_px(out, src, w, bias, p, g, oy, 0, p->ow, co, cout_g);
        }
    if (p->act != WIG_ACT_RELU) wig_activate(out, (size_t)p->oh * p->ow * p->cout, p->act, p->p0, p->p1);
}

/* ---------------------------------------------------------------- depthwise convolution */

static void dw_scalar_px(float *out, const float *in, const float *w, const float *bias, const wig_conv_params *p,
                         int oy, int ox, int c0, int c1) {
    int c = p->cin, pw = conv_pw(p);
    float *op = out + ((size_t)oy * p->ow + ox) * c;
    for (int ch = c0; ch < c1; ch++) {
        float acc = bias ? bias[ch] : 0.0f;
        for (int ky = 0; ky < p->kh; ky++)
            for (int kx = 0; kx < p->kw; kx++) {
                const float *px = in + ((size_t)(oy * p->sy + ky * p->dy) * pw + ox * p->sx + kx * p->dx) * c;
                acc = acc + px[ch] * w[(size_t)(ky * p->kw + kx) * c + ch];
            }
        op[ch] = p->act == WIG_ACT_RELU ? RELU(acc) : acc;
    }
}

#if WI_VEC
/* NP pixels of one output row, 4 channels at ch: each tap's weights loaded once for the NP pixels. KH and KW are
 * constants for the common 3x3 and 5x5 kernels (0 for any other size): Cranelift checks the epoch deadline at
 * every loop header and spills the accumulators around it, which for a loop over 3 or 5 taps costs more than the
 * taps, so those loops are unrolled. */
WI_INLINE void dw_block(float *out, const float *in, const float *w, const float *bias, const wig_conv_params *p,
                        int oy, int ox, int ch, const int NP, const int KH, const int KW) {
    int c = p->cin, pw = conv_pw(p);
    wi_v4 acc[4];
    wi_v4 b = bias ? V_LOAD(bias + ch) : V_ZERO;
    for (int q = 0; q < NP; q++) acc[q] = b;
    size_t pix = (size_t)p->sx * c;
#define WIG_DW_TAPS(KHV, KWV)                                                                               \
    for (int ky = 0; ky < (KHV); ky++) {                                                                      \
        const float *row = in + ((size_t)(oy * p->sy + ky * p->dy) * pw + (size_t)ox * p->sx) * c + ch;      \
        const float *wr = w + (size_t)ky * (KWV) * c + ch;                                                    \
        WIG_UNROLL for (int kx = 0; kx < (KWV); kx++) {                                                       \
            wi_v4 wv = V_LOAD(wr + (size_t)kx * c);                                                           \
            const float *px = row + (size_t)kx * p->dx * c;                                                   \
            for (int q = 0; q < NP; q++) acc[q] = V_ADD(acc[q], V_MUL(V_LOAD(px + q * pix), wv));             \
        }                                                                                                     \
    }
    if (NP == 4 && (KH == 3 || KH == 5) && KW == KH && p->sx == 1 && p->dx == 1) {
        /* stride 1: the 4 pixels' windows overlap, so each input vector of a kernel row is loaded once for all
         * the taps that read it (NP + KW - 1 loads instead of NP * KW) */
        _Pragma("clang loop unroll(full)") for (int ky = 0; ky < KH; ky++) {
            const float *row = in + ((size_t)(oy * p->sy + ky * p->dy) * pw + (size_t)ox) * c + ch;
            const float *wr = w + (size_t)ky * KW * c + ch;
            wi_v4 xv[8];
            _Pragma("clang loop unroll(full)") for (int i = 0; i < NP + KW - 1; i++) xv[i] = V_LOAD(row + (size_t)i * c);
            _Pragma("clang loop unroll(full)") for (int kx = 0; kx < KW; kx++) {
                wi_v4 wv = V_LOAD(wr + (size_t)kx * c);
                for (int q = 0; q < NP; q++) acc[q] = V_ADD(acc[q], V_MUL(xv[q + kx], wv));
            }
        }
    } else if (KH == 3 && KW == 3) {
#define WIG_UNROLL _Pragma("clang loop unroll(full)")
        _Pragma("clang loop unroll(full)") WIG_DW_TAPS(3, 3)
    } else if (KH == 5 && KW == 5) {
        _Pragma("clang loop unroll(full)") WIG_DW_TAPS(5, 5)
#undef WIG_UNROLL
    } else {
#define WIG_UNROLL
        WIG_DW_TAPS(p->kh, p->kw)
#undef WIG_UNROLL
    }
#undef WIG_DW_TAPS
    for (int q = 0; q < NP; q++)
        store_relu(out + ((size_t)oy * p->ow + ox + q) * c + ch, acc[q], p->act == WIG_ACT_RELU);
}

WI_INLINE void dw_row(float *out, const float *in, const float *w, const float *bias, const wig_conv_params *p,
                      int oy, int ch, const int KH, const int KW) {
    int ox = 0;
    for (; ox + 4 <= p->ow; ox += 4) dw_block(out, in, w, bias, p, oy, ox, ch, 4, KH, KW);
    for (; ox < p->ow; ox++) dw_block(out, in, w, bias, p, oy, ox, ch, 1, KH, KW);
}
#endif

void wig_dwconv(float *out, const float *in, const float *w, const float *bias, const wig_conv_params *p,
                float *scratch) {
    const float *src = in;
    if (conv_padded(p)) {
        pad_image(scratch, in, p);
        src = scratch;
    }
    int c = p->cin;
    for (int oy = 0; oy < p->oh; oy++) {
        int ch = 0;
#if WI_VEC
        for (; ch + 4 <= c; ch += 4) {
            if (p->kh == 3 && p->kw == 3)
                dw_row(out, src, w, bias, p, oy, ch, 3, 3);
            else if (p->kh == 5 && p->kw == 5)
                dw_row(out, src, w, bias, p, oy, ch, 5, 5);
            else
                dw_row(out, src, w, bias, p, oy, ch, 0, 0);
        }
#endif
        if (ch < c)
            for (int ox = 0; ox < p->ow; ox++) dw_scalar_px(out, src, w, bias, p, oy, ox, ch, c);
    }
    if (p->act != WIG_ACT_RELU) wig_activate(out, (size_t)p->oh * p->ow * c, p->act, p->p0, p->p1);
}

/* ---------------------------------------------------------------- pooling (NHWC) */

#if WI_VEC
/* Max or sum of a window wholly inside the input: no bounds checks. */
WI_INLINE wi_v4 window_vec(const float *in, int w, int c, int y0, int x0, int kh, int kw, int dy, int dx, int i,
                           int kind) {
    wi_v4 acc = V_LOAD(in + ((size_t)y0 * w + x0) * c + i);
    for (int ky = 0; ky < kh; ky++) {
        const float *row = in + ((size_t)(y0 + ky * dy) * w + x0) * c + i;
        for (int kx = ky == 0 ? 1 : 0; kx < kw; kx++) {
            wi_v4 v = V_LOAD(row + (size_t)kx * dx * c);
            acc = kind == 0 ? V_PMAX(acc, v) : V_ADD(acc, v);
        }
    }
    return acc;
}
#endif

static void wig_pool(float *out, const float *in, int h, int w, int c, int oh, int ow, int kind, int kh, int kw,
                     int sy, int sx, int dy, int dx, int pt, int pl, int pb, int pr, int include_pad) {
    if (kind == 0 && kh == 2 && kw == 2 && sy == 2 && sx == 2 && dy == 1 && dx == 1 && pt == 0 && pl == 0
        && oh == h / 2 && ow == w / 2) {
        wi_maxpool2x2_hwc(out, in, h, w, c); /* the sample models' kernel */
        return;
    }
    for (int oy = 0; oy < oh; oy++)
        for (int ox = 0; ox < ow; ox++) {
            float *op = out + ((size_t)oy * ow + ox) * c;
            int y0 = oy * sy - pt, x0 = ox * sx - pl;
            int inside = y0 >= 0 && x0 >= 0 && y0 + (kh - 1) * dy < h && x0 + (kw - 1) * dx < w;
            /* the divisor of an average: taps inside the input, or (count_include_pad) inside the padded input */
            int taps = kh * kw, window = kh * kw;
            if (!inside) {
                taps = 0;
                window = 0;
                for (int ky = 0; ky < kh; ky++)
                    for (int kx = 0; kx < kw; kx++) {
                        int y = y0 + ky * dy, x = x0 + kx * dx;
                        if (y >= 0 && y < h && x >= 0 && x < w) taps++;
                        if (y >= -pt && y < h + pb && x >= -pl && x < w + pr) window++;
                    }
            }
            int i = 0;
#if WI_VEC
            if (inside) {
                wi_v4 div = V_SPLAT((float)taps);
                for (; i + 4 <= c; i += 4) {
                    wi_v4 acc = window_vec(in, w, c, y0, x0, kh, kw, dy, dx, i, kind);
                    V_STORE(op + i, kind == 1 ? V_DIV(acc, div) : acc);
                }
            }
            for (; i + 4 <= c; i += 4) {
                wi_v4 acc = kind == 0 ? V_SPLAT(f32_from_bits(0xff800000u)) : V_ZERO;
                for (int ky = 0; ky < kh; ky++) {
                    int y = y0 + ky * dy;
                    if (y < 0 || y >= h) continue;
                    for (int kx = 0; kx < kw; kx++) {
                        int x = x0 + kx * dx;
                        if (x < 0 || x >= w) continue;
                        wi_v4 v = V_LOAD(in + ((size_t)y * w + x) * c + i);
                        acc = kind == 0 ? V_PMAX(acc, v) : V_ADD(acc, v);
                    }
                }
                if (kind == 1) acc = V_DIV(acc, V_SPLAT((float)(include_pad ? window : taps)));
                V_STORE(op + i, acc);
            }
#endif
            for (; i < c; i++) {
                float acc = kind == 0 ? f32_from_bits(0xff800000u) : 0.0f;
                for (int ky = 0; ky < kh; ky++) {
                    int y = y0 + ky * dy;
                    if (y < 0 || y >= h) continue;
                    for (int kx = 0; kx < kw; kx++) {
                        int x = x0 + kx * dx;
                        if (x < 0 || x >= w) continue;
                        float v = in[((size_t)y * w + x) * c + i];
                        acc = kind == 0 ? PMAX(acc, v) : acc + v;
                    }
                }
                if (kind == 1) acc = acc / (float)(include_pad ? window : taps);
                op[i] = acc;
            }
        }
}

static void wig_global_pool(float *out, const float *in, int hw, int c, int kind) {
    int i = 0;
#if WI_VEC
    for (; i + 4 <= c; i += 4) {
        wi_v4 acc = V_LOAD(in + i);
        for (int p = 1; p < hw; p++) {
            wi_v4 v = V_LOAD(in + (size_t)p * c + i);
            acc = kind == 0 ? V_PMAX(acc, v) : V_ADD(acc, v);
        }
        if (kind == 1) acc = V_DIV(acc, V_SPLAT((float)hw));
        V_STORE(out + i, acc);
    }
#endif
    for (; i < c; i++) {
        float acc = in[i];
        for (int p = 1; p < hw; p++) {
            float v = in[(size_t)p * c + i];
            acc = kind == 0 ? PMAX(acc, v) : acc + v;
        }
        out[i] = kind == 1 ? acc / (float)hw : acc;
    }
}

/* ---------------------------------------------------------------- broadcasting binary ops */

static inline float bin_scalar(float a, float b, int op) {
    switch (op) {
        case WIG_BIN_ADD: return a + b;
        case WIG_BIN_SUB: return a - b;
        case WIG_BIN_MUL: return a * b;
        case WIG_BIN_DIV: return a / b;
        case WIG_BIN_POW: return wig_powf(a, b);
        case WIG_BIN_MAX: return (a != a || b != b) ? a + b : (a < b ? b : a);
        case WIG_BIN_MIN: return (a != a || b != b) ? a + b : (b < a ? b : a);
        default: return 0.0f;
    }
}

#if WI_VEC
static inline int bin_has_vec(int op) { return op <= WIG_BIN_DIV; }

WI_INLINE wi_v4 bin_vec(wi_v4 a, wi_v4 b, int op) {
    switch (op) {
        case WIG_BIN_ADD: return V_ADD(a, b);
        case WIG_BIN_SUB: return V_SUB(a, b);
        case WIG_BIN_MUL: return V_MUL(a, b);
        default: return V_DIV(a, b);
    }
}
#endif

/* One innermost row of n outputs; as/bs are element strides (0 broadcasts). */
static void bin_row(float *o, const float *a, const float *b, size_t n, ptrdiff_t as, ptrdiff_t bs, int op) {
    size_t i = 0;
#if WI_VEC
    if (bin_has_vec(op)) {
        if (as == 1 && bs == 1) {
            for (; i + 4 <= n; i += 4) V_STORE(o + i, bin_vec(V_LOAD(a + i), V_LOAD(b + i), op));
        } else if (as == 1 && bs == 0) {
            wi_v4 bv = V_SPLAT(b[0]);
            for (; i + 4 <= n; i += 4) V_STORE(o + i, bin_vec(V_LOAD(a + i), bv, op));
        } else if (as == 0 && bs == 1) {
            wi_v4 av = V_SPLAT(a[0]);
            for (; i + 4 <= n; i += 4) V_STORE(o + i, bin_vec(av, V_LOAD(b + i), op));
        }
    }
#endif
    for (; i < n; i++) o[i] = bin_scalar(a[(ptrdiff_t)i * as], b[(ptrdiff_t)i * bs], op);
}

/* out (dense over dims) = a op b, then the activation; out may equal a or b when their strides are out's. */
static void wig_binary(float *out, const float *a, const float *b, int rank, const uint32_t *dims,
                       const int32_t *astr, const int32_t *bstr, int op, int act, float p0, float p1) {
    int r = rank - 1;
    size_t rows = 1;
    for (int d = 0; d < r; d++) rows *= dims[d];
    size_t n = dims[r];
    uint32_t idx[WIG_MAX_RANK] = {0};
    for (size_t row = 0; row < rows; row++) {
        ptrdiff_t ao = 0, bo = 0;
        for (int d = 0; d < r; d++) {
            ao += (ptrdiff_t)idx[d] * astr[d];
            bo += (ptrdiff_t)idx[d] * bstr[d];
        }
        bin_row(out + row * n, a + ao, b + bo, n, astr[r], bstr[r], op);
        for (int d = r - 1; d >= 0; d--) {
            if (++idx[d] < dims[d]) break;
            idx[d] = 0;
        }
    }
    wig_activate(out, rows * n, act, p0, p1);
}

/* ---------------------------------------------------------------- softmax, reductions */

static void wig_softmax(float *out, const float *in, int outer, int len, int inner, int log) {
    for (int o = 0; o < outer; o++)
        for (int i = 0; i < inner; i++) {
            const float *x = in + (size_t)o * len * inner + i;
            float *y = out + (size_t)o * len * inner + i;
            float m = x[0];
            for (int k = 1; k < len; k++) m = PMAX(m, x[(size_t)k * inner]);
            float sum = 0.0f;
            for (int k = 0; k < len; k++) {
                float e = wi_expf(x[(size_t)k * inner] - m);
                if (!log) y[(size_t)k * inner] = e;
                sum += e;
            }
            if (log) {
                float ls = wig_logf(sum);
                for (int k = 0; k < len; k++) y[(size_t)k * inner] = (x[(size_t)k * inner] - m) - ls;
            } else {
                for (int k = 0; k < len; k++) y[(size_t)k * inner] = y[(size_t)k * inner] / sum;
            }
        }
}

static void wig_reduce(float *out, const float *in, int outer, int len, int inner, int kind) {
    for (int o = 0; o < outer; o++)
        for (int i = 0; i < inner; i++) {
            const float *x = in + (size_t)o * len * inner + i;
            float acc = kind == 2 ? f32_from_bits(0xff800000u) : kind == 3 ? f32_from_bits(0x7f800000u)
                                                                           : kind == 5 ? 1.0f : 0.0f;
            for (int k = 0; k < len; k++) {
                float v = x[(size_t)k * inner];
                switch (kind) {
                    case 2: acc = PMAX(acc, v); break;
                    case 3: acc = v < acc ? v : acc; break;
                    case 4: acc = acc + v * v; break;
                    case 5: acc = acc * v; break;
                    default: acc = acc + v; break;
                }
            }
            out[(size_t)o * inner + i] = kind == 1 ? acc / (float)len : acc;
        }
}

/* ---------------------------------------------------------------- copies, padding */

static void wig_copy(float *out, const float *in, int rank, const uint32_t *dims, const int32_t *istr,
                     const int32_t *ostr) {
    if (rank == 0) {
        out[0] = in[0];
        return;
    }
    int r = rank - 1;
    size_t rows = 1;
    for (int d = 0; d < r; d++) rows *= dims[d];
    size_t n = dims[r];
    ptrdiff_t is = istr[r], os = ostr[r];
    uint32_t idx[WIG_MAX_RANK] = {0};
    for (size_t row = 0; row < rows; row++) {
        ptrdiff_t io = 0, oo = 0;
        for (int d = 0; d < r; d++) {
            io += (ptrdiff_t)idx[d] * istr[d];
            oo += (ptrdiff_t)idx[d] * ostr[d];
        }
        if (is == 1 && os == 1) {
            wi_copy_f32(out + oo, in + io, n);
        } else {
            for (size_t i = 0; i < n; i++) out[oo + (ptrdiff_t)i * os] = in[io + (ptrdiff_t)i * is];
        }
        for (int d = r - 1; d >= 0; d--) {
            if (++idx[d] < dims[d]) break;
            idx[d] = 0;
        }
    }
}

/* Reflect or edge padding (constant padding is a fill and a copy). */
static void wig_pad(float *out, const float *in, int rank, const uint32_t *idims, const uint32_t *odims,
                    const int32_t *before, int mode) {
    size_t total = 1;
    for (int d = 0; d < rank; d++) total *= odims[d];
    uint32_t idx[WIG_MAX_RANK] = {0};
    for (size_t e = 0; e < total; e++) {
        size_t src = 0;
        for (int d = 0; d < rank; d++) {
            int n = (int)idims[d];
            int i = (int)idx[d] - before[d];
            if (mode == 1) { /* reflect: ... 2 1 | 0 1 2 | 1 0 ... (n > 1 checked at compile time) */
                int period = 2 * (n - 1);
                if (period == 0) {
                    i = 0;
                } else {
                    i %= period;
                    if (i < 0) i += period;
                    if (i >= n) i = period - i;
                }
            } else { /* edge */
                i = i < 0 ? 0 : i >= n ? n - 1 : i;
            }
            src = src * (size_t)n + (size_t)i;
        }
        out[e] = in[src];
        for (int d = rank - 1; d >= 0; d--) {
            if (++idx[d] < odims[d]) break;
            idx[d] = 0;
        }
    }
}

/* ---------------------------------------------------------------- matmul of two activations */

static void wig_matmul(float *out, const float *a, const float *b, int m, int k, int n, int act, float p0,
                       float p1) {
    for (int i = 0; i < m; i++) {
        float *o = out + (size_t)i * n;
        const float *ar = a + (size_t)i * k;
        int j = 0;
#if WI_VEC
        for (; j + 8 <= n; j += 8) {
            wi_v4 acc0 = V_ZERO, acc1 = V_ZERO;
            for (int q = 0; q < k; q++) {
                wi_v4 av = V_SPLAT(ar[q]);
                const float *br = b + (size_t)q * n + j;
                acc0 = V_ADD(acc0, V_MUL(av, V_LOAD(br)));
                acc1 = V_ADD(acc1, V_MUL(av, V_LOAD(br + 4)));
            }
            V_STORE(o + j, acc0);
            V_STORE(o + j + 4, acc1);
        }
        for (; j + 4 <= n; j += 4) {
            wi_v4 acc = V_ZERO;
            for (int q = 0; q < k; q++) acc = V_ADD(acc, V_MUL(V_SPLAT(ar[q]), V_LOAD(b + (size_t)q * n + j)));
            V_STORE(o + j, acc);
        }
#endif
        for (; j < n; j++) {
            float acc = 0.0f;
            for (int q = 0; q < k; q++) acc = acc + ar[q] * b[(size_t)q * n + j];
            o[j] = acc;
        }
        wig_activate(o, (size_t)n, act, p0, p1);
    }
}

/* ---------------------------------------------------------------- type conversion */

static inline float load_as_f32(const uint8_t *p, size_t i, int dt) {
    switch (dt) {
        case WIG_DT_F32: return ((const float *)p)[i];
        case WIG_DT_F64: return (float)((const double *)p)[i];
        case WIG_DT_I32: return (float)((const int32_t *)p)[i];
        case WIG_DT_I64: return (float)((const int64_t *)p)[i];
        case WIG_DT_I8: return (float)((const int8_t *)p)[i];
        default: return (float)p[i];
    }
}

/* float -> integer as ONNX Cast does for in-range values: truncation toward zero; NaN and out-of-range values
 * saturate (the spec leaves them undefined; saturating cannot trap). */
static inline double clamp_trunc(float v, double lo, double hi) {
    if (v != v) return 0.0;
    double d = (double)v;
    if (d < lo) return lo;
    if (d > hi) return hi;
    return d;
}

static inline void store_from_f32(uint8_t *p, size_t i, int dt, float v) {
    switch (dt) {
        case WIG_DT_F32: ((float *)p)[i] = v; break;
        case WIG_DT_F64: ((double *)p)[i] = (double)v; break;
        case WIG_DT_I32: ((int32_t *)p)[i] = (int32_t)clamp_trunc(v, -2147483648.0, 2147483647.0); break;
        case WIG_DT_I64:
            ((int64_t *)p)[i] = (int64_t)clamp_trunc(v, -9223372036854775808.0, 9223371487098961920.0);
            break;
        case WIG_DT_I8: ((int8_t *)p)[i] = (int8_t)clamp_trunc(v, -128.0, 127.0); break;
        default: ((uint8_t *)p)[i] = (uint8_t)clamp_trunc(v, 0.0, 255.0); break;
    }
}

/* channels_last: the output is stored with the channel innermost (NCHW in, NHWC out), for inputs that go
 * straight into convolutions: one pass instead of a conversion and a transposition. */
static void wig_convert(uint8_t *out, const uint8_t *in, size_t count, int src, int dst, int channels, int inner,
                        const float *scale, const float *shift, int channels_last) {
    /* one block of `inner` elements per channel, with that channel's scale and shift */
    size_t block = channels > 1 ? (size_t)inner : count;
    size_t in_size = src == WIG_DT_F32 || src == WIG_DT_I32 ? 4 : src == WIG_DT_F64 || src == WIG_DT_I64 ? 8 : 1;
    size_t out_size = dst == WIG_DT_F32 || dst == WIG_DT_I32 ? 4 : dst == WIG_DT_F64 || dst == WIG_DT_I64 ? 8 : 1;
    for (size_t b0 = 0, k = 0; b0 < count; b0 += block, k++) {
        int c = channels > 1 ? (int)(k % (size_t)channels) : 0;
        float s = scale ? scale[c] : 1.0f, t = shift ? shift[c] : 0.0f;
        size_t n = count - b0 < block ? count - b0 : block;
        const uint8_t *ip = in + b0 * in_size;
        uint8_t *op = out + b0 * out_size;
        if (channels_last && channels > 1 && dst == WIG_DT_F32) {
            float *o = (float *)(void *)(out + out_size * ((k / (size_t)channels) * (size_t)channels * inner + (size_t)c));
            for (size_t i = 0; i < n; i++) {
                float v = load_as_f32(ip, i, src);
                if (scale) v = v * s;
                if (shift) v = v + t;
                o[i * (size_t)channels] = v;
            }
        } else if (dst == WIG_DT_F32 && src == WIG_DT_U8) {
            wi_u8_to_f32((float *)(void *)op, ip, n, s, t);
        } else if (dst == WIG_DT_F32 && src == WIG_DT_F32) {
            wi_affine_f32((float *)(void *)op, (const float *)(const void *)ip, n, s, t);
        } else {
            for (size_t i = 0; i < n; i++) {
                float v = load_as_f32(ip, i, src);
                if (scale) v = v * s;
                if (shift) v = v + t;
                store_from_f32(op, i, dst, v);
            }
        }
    }
}
