/* wi_kernels.c -- see wi_kernels.h. No libc; compile for wasm with -nostdlib -fno-builtin. */
#include "wi_kernels.h"

#if defined(__wasm_simd128__) && !defined(WI_SCALAR)
#include <wasm_simd128.h>
#define WI_VEC 1
#define WI_IMPL "wasm-simd128"
typedef v128_t wi_v4;
#define V_LOAD(p) wasm_v128_load(p)
#define V_STORE(p, v) wasm_v128_store((p), (v))
#define V_SPLAT(x) wasm_f32x4_splat(x)
#define V_ZERO wasm_f32x4_const_splat(0.0f)
#define V_ADD(a, b) wasm_f32x4_add((a), (b))
#define V_MUL(a, b) wasm_f32x4_mul((a), (b))
/* a < b ? b : a, lane-wise (the scalar PMAX below) */
#define V_PMAX(a, b) wasm_f32x4_pmax((a), (b))
#define V_DUP(v, k) wasm_i32x4_shuffle((v), (v), (k), (k), (k), (k)) /* lane k in all 4 lanes */
#elif defined(__SSE2__) && !defined(WI_SCALAR)
#include <emmintrin.h>
#define WI_VEC 1
#define WI_IMPL "sse2"
typedef __m128 wi_v4;
#define V_LOAD(p) _mm_loadu_ps(p)
#define V_STORE(p, v) _mm_storeu_ps((p), (v))
#define V_SPLAT(x) _mm_set1_ps(x)
#define V_ZERO _mm_setzero_ps()
#define V_ADD(a, b) _mm_add_ps((a), (b))
#define V_MUL(a, b) _mm_mul_ps((a), (b))
/* _mm_max_ps(x, y) = x > y ? x : y, so (b, a) gives a < b ? b : a */
#define V_PMAX(a, b) _mm_max_ps((b), (a))
#define V_DUP(v, k) _mm_shuffle_ps((v), (v), _MM_SHUFFLE((k), (k), (k), (k)))
#else
#define WI_VEC 0
#define WI_IMPL "scalar"
#endif

#define PMAX(a, b) ((a) < (b) ? (b) : (a))
#define RELU(x) ((x) < 0.0f ? 0.0f : (x))
#if WI_VEC
#define V_RELU(x) V_PMAX((x), V_ZERO)
#endif

#define WI_INLINE static inline __attribute__((always_inline))
#if defined(__clang__)
#define WI_NO_UNROLL _Pragma("clang loop unroll(disable)")
#else
#define WI_NO_UNROLL
#endif

const char *wi_kernels_impl(void) { return WI_IMPL; }

/* ---------------------------------------------------------------- elementwise */

/* The vector loops below take 16 values per iteration where they can: Wasmtime checks the epoch deadline at
 * every loop header, which costs about as much as the work of one 4-value step. */

void wi_u8_to_f32(float *out, const uint8_t *in, size_t n, float scale, float shift) {
    size_t i = 0;
#if WI_VEC
    wi_v4 s = V_SPLAT(scale), t = V_SPLAT(shift);
    for (; i + 16 <= n; i += 16) {
        wi_v4 f[4];
#if defined(__wasm_simd128__)
        v128_t v = wasm_v128_load(in + i);
        v128_t lo = wasm_u16x8_extend_low_u8x16(v), hi = wasm_u16x8_extend_high_u8x16(v);
        f[0] = wasm_f32x4_convert_i32x4(wasm_u32x4_extend_low_u16x8(lo));
        f[1] = wasm_f32x4_convert_i32x4(wasm_u32x4_extend_high_u16x8(lo));
        f[2] = wasm_f32x4_convert_i32x4(wasm_u32x4_extend_low_u16x8(hi));
        f[3] = wasm_f32x4_convert_i32x4(wasm_u32x4_extend_high_u16x8(hi));
#else
        __m128i z = _mm_setzero_si128();
        __m128i v = _mm_loadu_si128((const __m128i *)(in + i));
        __m128i lo = _mm_unpacklo_epi8(v, z), hi = _mm_unpackhi_epi8(v, z);
        f[0] = _mm_cvtepi32_ps(_mm_unpacklo_epi16(lo, z));
        f[1] = _mm_cvtepi32_ps(_mm_unpackhi_epi16(lo, z));
        f[2] = _mm_cvtepi32_ps(_mm_unpacklo_epi16(hi, z));
        f[3] = _mm_cvtepi32_ps(_mm_unpackhi_epi16(hi, z));
#endif
        for (int j = 0; j < 4; j++) V_STORE(out + i + 4 * j, V_ADD(V_MUL(f[j], s), t));
    }
#endif
    for (; i < n; i++) {
        float v = (float)in[i] * scale;
        out[i] = v + shift;
    }
}

int wi_all_finite(const float *x, size_t n) {
    size_t i = 0;
#if WI_VEC && defined(__wasm_simd128__)
    v128_t mask = wasm_i32x4_splat(0x7f800000), bad = wasm_i32x4_splat(0);
    for (; i + 16 <= n; i += 16) /* 4 vectors per loop iteration: one epoch check per 16 values */
        for (int j = 0; j < 4; j++)
            bad = wasm_v128_or(bad, wasm_i32x4_eq(wasm_v128_and(wasm_v128_load(x + i + 4 * j), mask), mask));
    if (wasm_v128_any_true(bad)) return 0;
#elif WI_VEC
    __m128i mask = _mm_set1_epi32(0x7f800000), bad = _mm_setzero_si128();
    for (; i + 16 <= n; i += 16)
        for (int j = 0; j < 4; j++)
            bad = _mm_or_si128(bad, _mm_cmpeq_epi32(_mm_and_si128(_mm_loadu_si128((const __m128i *)(x + i + 4 * j)),
                                                                    mask), mask));
    if (_mm_movemask_epi8(bad)) return 0;
#endif
    for (; i < n; i++)
        if (wi_is_nonfinite(x[i])) return 0;
    return 1;
}

void wi_affine_f32(float *out, const float *in, size_t n, float scale, float shift) {
    size_t i = 0;
#if WI_VEC
    wi_v4 s = V_SPLAT(scale), t = V_SPLAT(shift);
    for (; i + 16 <= n; i += 16)
        for (int j = 0; j < 16; j += 4) V_STORE(out + i + j, V_ADD(V_MUL(V_LOAD(in + i + j), s), t));
    for (; i + 4 <= n; i += 4) V_STORE(out + i, V_ADD(V_MUL(V_LOAD(in + i), s), t));
#endif
    for (; i < n; i++) {
        float v = in[i] * scale;
        out[i] = v + shift;
    }
}

void wi_scale_f32(float *out, const float *in, size_t n, float scale) {
    size_t i = 0;
#if WI_VEC
    wi_v4 s = V_SPLAT(scale);
    for (; i + 16 <= n; i += 16)
        for (int j = 0; j < 16; j += 4) V_STORE(out + i + j, V_MUL(V_LOAD(in + i + j), s));
    for (; i + 4 <= n; i += 4) V_STORE(out + i, V_MUL(V_LOAD(in + i), s));
#endif
    for (; i < n; i++) out[i] = in[i] * scale;
}

void wi_relu(float *x, size_t n) {
    size_t i = 0;
#if WI_VEC
    for (; i + 16 <= n; i += 16)
        for (int j = 0; j < 16; j += 4) V_STORE(x + i + j, V_RELU(V_LOAD(x + i + j)));
    for (; i + 4 <= n; i += 4) V_STORE(x + i, V_RELU(V_LOAD(x + i)));
#endif
    for (; i < n; i++) x[i] = RELU(x[i]);
}

void wi_fill_f32(float *dst, float v, size_t n) {
    size_t i = 0;
#if WI_VEC
    wi_v4 s = V_SPLAT(v);
    for (; i + 16 <= n; i += 16)
        for (int j = 0; j < 16; j += 4) V_STORE(dst + i + j, s);
    for (; i + 4 <= n; i += 4) V_STORE(dst + i, s);
#endif
    for (; i < n; i++) dst[i] = v;
}

void wi_copy_f32(float *dst, const float *src, size_t n) {
    size_t i = 0;
#if WI_VEC
    for (; i + 16 <= n; i += 16)
        for (int j = 0; j < 16; j += 4) V_STORE(dst + i + j, V_LOAD(src + i + j));
    for (; i + 4 <= n; i += 4) V_STORE(dst + i, V_LOAD(src + i));
#endif
    for (; i < n; i++) dst[i] = src[i];
}

int wi_argmax(const float *x, int n) {
    int best = 0;
    for (int i = 1; i < n; i++)
        if (x[i] > x[best]) best = i;
    return best;
}

/* ---------------------------------------------------------------- splatted inputs */

#if WI_VEC
/* The SIMD blocks below multiply one input value, broadcast to 4 lanes, by 4 weights at a time. They read it from
 * a pre-splatted copy (4 floats per value, built once per layer or image) instead of splatting in the inner loop:
 * Wasmtime 7's Cranelift turns v128.load32_splat into a scalar load, an insert and a shuffle, against a single
 * vector load here. The arithmetic is unchanged. Before/after: bench/notes.md, bench/kernel-history.sh. */
WI_INLINE void splat4_vec(float *dst, const float *src) {
    wi_v4 v = V_LOAD(src);
    V_STORE(dst, V_DUP(v, 0));
    V_STORE(dst + 4, V_DUP(v, 1));
    V_STORE(dst + 8, V_DUP(v, 2));
    V_STORE(dst + 12, V_DUP(v, 3));
}

static void splat4(float *dst, const float *src, size_t n) {
    size_t i = 0;
    for (; i + 16 <= n; i += 16) /* 16 values per loop iteration, as the elementwise loops */
        for (size_t j = 0; j < 16; j += 4) splat4_vec(dst + 4 * (i + j), src + i + j);
    for (; i + 4 <= n; i += 4) splat4_vec(dst + 4 * i, src + i);
    for (; i < n; i++) V_STORE(dst + 4 * i, V_SPLAT(src[i]));
}

/* ---------------------------------------------------------------- multiply-add blocks */

/* One step of an NI x NJ register block: acc[i][j] += s_i * w[4j..4j+3], where s_i is the splatted input at
 * s + i*s_stride. NI <= 4, NJ <= 4, constants after inlining. */
WI_INLINE void mac_step(wi_v4 acc[4][4], const float *w, const float *s, size_t s_stride, const int NI,
                        const int NJ) {
    wi_v4 wv[4];
    for (int j = 0; j < NJ; j++) wv[j] = V_LOAD(w + 4 * j);
    for (int i = 0; i < NI; i++) {
        wi_v4 si = V_LOAD(s + (size_t)i * s_stride);
        for (int j = 0; j < NJ; j++) acc[i][j] = V_ADD(acc[i][j], V_MUL(si, wv[j]));
    }
}

/* n steps q = 0, 1, ...: weights at w + q*w_stride, splatted inputs at s + 4q (+ i*s_stride), in order.
 *
 * Shaped for Wasmtime 7's Cranelift. Every loop header gets an epoch (deadline) check whose slow path is a call
 * that clobbers all vector registers, so the block's accumulators go to the stack and back on every back-edge:
 * 16 steps per iteration pay for that (and the check) once per 16. The exit test between steps is what keeps
 * registers free: Cranelift emits pure arithmetic where it is first used, and without a branch in between that
 * is the back-edge, after all 16 steps' loads, with every loaded vector live at once. With the tests, each
 * step's multiply-adds come before the next step's loads. Native builds are unaffected. Before/after:
 * bench/notes.md, bench/kernel-history.sh. */
WI_INLINE void mac_steps(wi_v4 acc[4][4], const float *w, size_t w_stride, const float *s, size_t s_stride, int n,
                         const int NI, const int NJ) {
#define WI_STEP(q) mac_step(acc, w + (size_t)(q) * w_stride, s + 4 * (size_t)(q), s_stride, NI, NJ)
#define WI_NEXT(q) \
    if ((q) >= n) break; \
    WI_STEP(q)
    WI_NO_UNROLL for (int q = 0; q < n; q += 16) {
        WI_STEP(q);
        WI_NEXT(q + 1); WI_NEXT(q + 2); WI_NEXT(q + 3); WI_NEXT(q + 4); WI_NEXT(q + 5); WI_NEXT(q + 6);
        WI_NEXT(q + 7); WI_NEXT(q + 8); WI_NEXT(q + 9); WI_NEXT(q + 10); WI_NEXT(q + 11); WI_NEXT(q + 12);
        WI_NEXT(q + 13); WI_NEXT(q + 14); WI_NEXT(q + 15);
    }
#undef WI_NEXT
#undef WI_STEP
}
#endif

/* ---------------------------------------------------------------- dense */

/* Scalar reference for rows [b0, b0+nb) and outputs [o0, o1): same accumulation order as the SIMD blocks. */
static void dense_scalar(float *y, const float *x, int b0, int nb, int n_in, const float *w, const float *bias,
                         int n_out, int o0, int o1, int relu) {
    for (int b = b0; b < b0 + nb; b++) {
        const float *xr = x + (size_t)b * n_in;
        float *yr = y + (size_t)b * n_out;
        for (int o = o0; o < o1; o++) yr[o] = bias ? bias[o] : 0.0f;
        for (int k = 0; k < n_in; k++) {
            float xv = xr[k];
            const float *wr = w + (size_t)k * n_out;
            for (int o = o0; o < o1; o++) yr[o] = yr[o] + xv * wr[o];
        }
        if (relu)
            for (int o = o0; o < o1; o++) yr[o] = RELU(yr[o]);
    }
}

#if WI_VEC
/* NB samples x NV*4 outputs starting at (b0, o); NB <= 4, NV <= 2, constants after inlining. xs: the NB input
 * rows, splatted (splat4). */
WI_INLINE void dense_block(float *y, const float *xs, int b0, int n_in, const float *w, const float *bias,
                           int n_out, int o, int relu, const int NB, const int NV) {
    wi_v4 acc[4][4];
    for (int j = 0; j < NV; j++) {
        wi_v4 b = bias ? V_LOAD(bias + o + 4 * j) : V_ZERO;
        for (int i = 0; i < NB; i++) acc[i][j] = b;
    }
    mac_steps(acc, w + o, (size_t)n_out, xs, 4 * (size_t)n_in, n_in, NB, NV);
    for (int i = 0; i < NB; i++)
        for (int j = 0; j < NV; j++) {
            wi_v4 v = acc[i][j];
            if (relu) v = V_RELU(v);
            V_STORE(y + (size_t)(b0 + i) * n_out + o + 4 * j, v);
        }
}

WI_INLINE void dense_rows(float *y, const float *x, int b0, int n_in, const float *w, const float *bias,
                          int n_out, int relu, float *scratch, const int NB) {
    splat4(scratch, x + (size_t)b0 * n_in, (size_t)NB * n_in);
    int o = 0;
    for (; o + 8 <= n_out; o += 8) dense_block(y, scratch, b0, n_in, w, bias, n_out, o, relu, NB, 2);
    for (; o + 4 <= n_out; o += 4) dense_block(y, scratch, b0, n_in, w, bias, n_out, o, relu, NB, 1);
    if (o < n_out && n_out >= 4) {
        /* The last 1-3 outputs as a block that overlaps the previous one (whose outputs it recomputes with the
         * same adds), rather than scalar: 10-class output layers spent as long here as in the rest. */
        dense_block(y, scratch, b0, n_in, w, bias, n_out, n_out - 4, relu, NB, 1);
        o = n_out;
    }
    if (o < n_out) dense_scalar(y, x, b0, NB, n_in, w, bias, n_out, o, n_out, relu);
}
#endif

void wi_dense(float *y, const float *x, int batch, int n_in, const float *w, const float *bias, int n_out,
              int relu, float *scratch) {
#if WI_VEC
    int b = 0;
    for (; b + 4 <= batch; b += 4) dense_rows(y, x, b, n_in, w, bias, n_out, relu, scratch, 4);
    for (; b < batch; b++) dense_rows(y, x, b, n_in, w, bias, n_out, relu, scratch, 1);
#else
    (void)scratch;
    dense_scalar(y, x, 0, batch, n_in, w, bias, n_out, 0, n_out, relu);
#endif
}

/* ---------------------------------------------------------------- convolution */

void wi_pad_hwc(float *out, const float *in, int h, int w, int c, int pad) {
    int pw = w + 2 * pad;
    wi_fill_f32(out, 0.0f, (size_t)(h + 2 * pad) * pw * c);
    for (int y = 0; y < h; y++)
        wi_copy_f32(out + ((size_t)(y + pad) * pw + pad) * c, in + (size_t)y * w * c, (size_t)w * c);
}

/* Scalar reference for output pixels [ox0, ox1) of row oy and channels [co0, co1). `in` is the padded image,
 * iw its width. */
static void conv_scalar(float *out, const float *in, int iw, int cin, const float *k, const float *bias, int kh,
                        int kw, int cout, int ow, int oy, int ox0, int ox1, int co0, int co1, int relu) {
    int taps = kw * cin;
    for (int ox = ox0; ox < ox1; ox++) {
        float *op = out + ((size_t)oy * ow + ox) * cout;
        for (int co = co0; co < co1; co++) op[co] = bias ? bias[co] : 0.0f;
        for (int ky = 0; ky < kh; ky++) {
            const float *row = in + ((size_t)(oy + ky) * iw + ox) * cin;
            const float *kr = k + (size_t)ky * taps * cout;
            for (int t = 0; t < taps; t++) {
                float v = row[t];
                const float *kt = kr + (size_t)t * cout;
                for (int co = co0; co < co1; co++) op[co] = op[co] + v * kt[co];
            }
        }
        if (relu)
            for (int co = co0; co < co1; co++) op[co] = RELU(op[co]);
    }
}

#if WI_VEC
/* NP pixels (ox..ox+NP-1) x NV*4 channels (co..) of output row oy; NP <= 4, NV <= 4, constants after inlining.
 * `ins` is the (padded) input, splatted (splat4). In HWC the taps of one kernel row (kx, ci) are contiguous:
 * t = kx*cin + ci, input row[t + p*cin]. The loop over kernel rows stays rolled (unrolling it spills vector
 * registers in Cranelift). */
WI_INLINE void conv_block(float *out, const float *ins, int iw, int cin, const float *k, const float *bias,
                          int kh, int kw, int cout, int ow, int oy, int ox, int co, int relu, const int NP,
                          const int NV) {
    wi_v4 acc[4][4];
    for (int j = 0; j < NV; j++) {
        wi_v4 b = bias ? V_LOAD(bias + co + 4 * j) : V_ZERO;
        for (int p = 0; p < NP; p++) acc[p][j] = b;
    }
    int taps = kw * cin;
    for (int ky = 0; ky < kh; ky++) {
        const float *row = ins + 4 * ((size_t)(oy + ky) * iw + ox) * cin;
        mac_steps(acc, k + (size_t)ky * taps * cout + co, (size_t)cout, row, 4 * (size_t)cin, taps, NP, NV);
    }
    for (int p = 0; p < NP; p++) {
        float *op = out + ((size_t)oy * ow + ox + p) * cout + co;
        for (int j = 0; j < NV; j++) {
            wi_v4 v = acc[p][j];
            if (relu) v = V_RELU(v);
            V_STORE(op + 4 * j, v);
        }
    }
}

/* One output row, channels [co, co + NV*4): blocks of NP pixels, then single pixels. */
WI_INLINE void conv_row(float *out, const float *ins, int iw, int cin, const float *k, const float *bias, int kh,
                        int kw, int cout, int ow, int oy, int co, int relu, const int NP, const int NV) {
    int ox = 0;
    for (; ox + NP <= ow; ox += NP) conv_block(out, ins, iw, cin, k, bias, kh, kw, cout, ow, oy, ox, co, relu, NP, NV);
    for (; ox < ow; ox++) conv_block(out, ins, iw, cin, k, bias, kh, kw, cout, ow, oy, ox, co, relu, 1, NV);
}
#endif

void wi_conv2d_hwc(float *out, const float *in, int h, int w, int cin, const float *k, const float *bias,
                   int kh, int kw, int cout, int pad, int relu, float *scratch) {
    size_t padded = (size_t)(h + 2 * pad) * (w + 2 * pad) * cin;
    if (pad > 0) {
        wi_pad_hwc(scratch, in, h, w, cin, pad);
        in = scratch;
        h += 2 * pad;
        w += 2 * pad;
    }
    int oh = h - kh + 1, ow = w - kw + 1;
    if (oh <= 0 || ow <= 0) return;
#if WI_VEC
    float *ins = scratch + padded;
    splat4(ins, in, padded);
#else
    (void)padded;
#endif
    for (int oy = 0; oy < oh; oy++) {
        int co = 0;
#if WI_VEC
        /* A single-channel 5x5 input (the CNN's first layer) with a constant tap count: its 5 steps run straight,
         * without the loop and exit tests of mac_steps (faster than the generic path, see bench/notes.md). */
        if (cin == 1 && kw == 5 && kh == 5)
            for (; co + 8 <= cout; co += 8) conv_row(out, ins, w, 1, k, bias, 5, 5, cout, ow, oy, co, relu, 4, 2);
        for (; co + 16 <= cout; co += 16) conv_row(out, ins, w, cin, k, bias, kh, kw, cout, ow, oy, co, relu, 2, 4);
        for (; co + 8 <= cout; co += 8) conv_row(out, ins, w, cin, k, bias, kh, kw, cout, ow, oy, co, relu, 4, 2);
        for (; co + 4 <= cout; co += 4) conv_row(out, ins, w, cin, k, bias, kh, kw, cout, ow, oy, co, relu, 4, 1);
#endif
        if (co < cout) conv_scalar(out, in, w, cin, k, bias, kh, kw, cout, ow, oy, 0, ow, co, cout, relu);
    }
}

/* ---------------------------------------------------------------- pooling */

void wi_maxpool2x2_hwc(float *out, const float *in, int h, int w, int c) {
    int oh = h / 2, ow = w / 2;
    for (int y = 0; y < oh; y++)
        for (int x = 0; x < ow; x++) {
            const float *a = in + ((size_t)(2 * y) * w + 2 * x) * c; /* top-left */
            const float *b = a + c;                                  /* top-right */
            const float *d = a + (size_t)w * c;                      /* bottom-left */
            const float *e = d + c;                                  /* bottom-right */
            float *o = out + ((size_t)y * ow + x) * c;
            int i = 0;
#if WI_VEC
            for (; i + 4 <= c; i += 4)
                V_STORE(o + i, V_PMAX(V_PMAX(V_LOAD(a + i), V_LOAD(b + i)), V_PMAX(V_LOAD(d + i), V_LOAD(e + i))));
#endif
            for (; i < c; i++) {
                float m0 = PMAX(a[i], b[i]), m1 = PMAX(d[i], e[i]);
                o[i] = PMAX(m0, m1);
            }
        }
}

/* ---------------------------------------------------------------- exp, softmax */

static inline float f32_from_bits(uint32_t u) {
    union { uint32_t u; float f; } c;
    c.u = u;
    return c.f;
}

/* 2^n for -126 <= n <= 127 */
static inline float pow2i(int n) { return f32_from_bits((uint32_t)(n + 127) << 23); }

float wi_expf(float x) {
    if (x != x) return x;                               /* NaN */
    if (x > 88.72283935546875f) return f32_from_bits(0x7f800000u); /* overflow -> +inf */
    if (x < -103.972076416015625f) return 0.0f;         /* underflows even as a subnormal */
    /* x = n*ln2 + r, |r| <= ln2/2; ln2 split in two (Cody-Waite) so n*LN2_HI is exact. */
    const float LOG2E = 1.44269502162933349609f;
    const float LN2_HI = 0.693359375f;
    const float LN2_LO = -2.12194440e-4f;
    float t = x * LOG2E;
    int n = (int)(t + (t < 0.0f ? -0.5f : 0.5f));
    float fn = (float)n;
    float r = (x - fn * LN2_HI) - fn * LN2_LO;
    /* exp(r) on |r| <= 0.347: Taylor series to r^7 (truncation error < 6e-9 relative). */
    float p = 1.0f / 5040.0f;
    p = p * r + 1.0f / 720.0f;
    p = p * r + 1.0f / 120.0f;
    p = p * r + 1.0f / 24.0f;
    p = p * r + 1.0f / 6.0f;
    p = p * r + 0.5f;
    p = p * r + 1.0f;
    p = p * r + 1.0f;
    /* scale by 2^n, in two steps when 2^n alone is not a normal float */
    if (n > 127) return p * pow2i(127) * pow2i(n - 127);
    if (n < -126) return p * pow2i(-126) * pow2i(n + 126);
    return p * pow2i(n);
}

void wi_softmax(float *x, int rows, int n) {
    for (int r = 0; r < rows; r++) {
        float *v = x + (size_t)r * n;
        float m = v[0];
        for (int i = 1; i < n; i++) m = PMAX(m, v[i]);
        float sum = 0.0f;
        for (int i = 0; i < n; i++) {
            v[i] = wi_expf(v[i] - m);
            sum += v[i];
        }
        float inv = 1.0f / sum;
        for (int i = 0; i < n; i++) v[i] *= inv;
    }
}

/* ---------------------------------------------------------------- libc stand-ins for wasm */

#if defined(__wasm__)
/* The compiler may emit calls to these for aggregate copies; -fno-builtin keeps it from turning these loops
 * back into calls to themselves. */
void *memcpy(void *dst, const void *src, size_t n) {
    unsigned char *d = (unsigned char *)dst;
    const unsigned char *s = (const unsigned char *)src;
    while (n--) *d++ = *s++;
    return dst;
}

void *memmove(void *dst, const void *src, size_t n) {
    unsigned char *d = (unsigned char *)dst;
    const unsigned char *s = (const unsigned char *)src;
    if (d < s)
        while (n--) *d++ = *s++;
    else
        while (n--) d[n] = s[n];
    return dst;
}

void *memset(void *dst, int c, size_t n) {
    unsigned char *d = (unsigned char *)dst;
    while (n--) *d++ = (unsigned char)c;
    return dst;
}
#endif
