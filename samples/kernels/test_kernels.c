/* Native unit test of wi_kernels.c against naive reference loops (same accumulation order, so results must be
 * bit-identical), over many shapes including every tail case of the blocked SIMD paths; and of wi_expf against
 * libm. Built and run by samples/check_native.sh, once with the SSE2 kernels and once with -DWI_SCALAR.
 *   cc -O2 -ffp-contract=off -Isamples/kernels samples/kernels/test_kernels.c samples/kernels/wi_kernels.c -lm
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wi_kernels.h"

static unsigned rng = 12345;
static float frand(void) {
    rng = rng * 1103515245u + 12345u;
    return (float)((rng >> 8) & 0xffff) / 32768.0f - 1.0f;
}
static void fill(float *p, size_t n) {
    for (size_t i = 0; i < n; i++) p[i] = frand();
}

static int failures = 0;
static void expect_same(const char *what, const float *a, const float *b, size_t n) {
    if (memcmp(a, b, n * sizeof(float)) != 0) {
        size_t i = 0;
        while (a[i] == b[i]) i++;
        printf("FAIL %s at %zu: %.9g vs %.9g\n", what, i, a[i], b[i]);
        failures++;
    }
}

static void ref_dense(float *y, const float *x, int batch, int n_in, const float *w, const float *bias, int n_out,
                      int relu) {
    for (int b = 0; b < batch; b++)
        for (int o = 0; o < n_out; o++) {
            float acc = bias ? bias[o] : 0.0f;
            for (int k = 0; k < n_in; k++) acc = acc + x[b * n_in + k] * w[k * n_out + o];
            y[b * n_out + o] = relu && acc < 0.0f ? 0.0f : acc;
        }
}

static void ref_conv(float *out, const float *in, int h, int w, int cin, const float *k, const float *bias, int kh,
                     int kw, int cout, int pad, int relu) {
    int oh = h + 2 * pad - kh + 1, ow = w + 2 * pad - kw + 1;
    for (int oy = 0; oy < oh; oy++)
        for (int ox = 0; ox < ow; ox++)
            for (int co = 0; co < cout; co++) {
                float acc = bias ? bias[co] : 0.0f;
                for (int ky = 0; ky < kh; ky++)
                    for (int kx = 0; kx < kw; kx++)
                        for (int ci = 0; ci < cin; ci++) {
                            int iy = oy + ky - pad, ix = ox + kx - pad;
                            float v = (iy < 0 || iy >= h || ix < 0 || ix >= w) ? 0.0f : in[(iy * w + ix) * cin + ci];
                            acc = acc + v * k[((ky * kw + kx) * cin + ci) * cout + co];
                        }
                out[(oy * ow + ox) * cout + co] = relu && acc < 0.0f ? 0.0f : acc;
            }
}

int main(void) {
    static float x[4096], w[8192], bias[64], y[4096], r[4096], scratch[8192];
    printf("wi_kernels: %s\n", wi_kernels_impl());

    int n_dense = 0;
    for (int batch = 1; batch <= 9; batch++)
        for (int n_in = 1; n_in <= 33; n_in += 4)
            for (int n_out = 1; n_out <= 21; n_out++) {
                fill(x, (size_t)batch * n_in);
                fill(w, (size_t)n_in * n_out);
                fill(bias, (size_t)n_out);
                int relu = (n_out + batch) & 1;
                const float *bp = (n_in % 8 == 5) ? NULL : bias;
                wi_dense(y, x, batch, n_in, w, bp, n_out, relu, scratch);
                ref_dense(r, x, batch, n_in, w, bp, n_out, relu);
                expect_same("dense", y, r, (size_t)batch * n_out);
                n_dense++;
            }

    int n_conv = 0;
    for (int cin = 1; cin <= 4; cin++) /* up to 20 taps per kernel row: more than one 16-step loop iteration */
        for (int cout = 1; cout <= 20; cout++)
            for (int k = 1; k <= 5; k += 2)
                for (int pad = 0; pad <= k / 2; pad++) {
                    int h = 7, wd = 9;
                    fill(x, (size_t)h * wd * cin);
                    fill(w, (size_t)k * k * cin * cout);
                    fill(bias, (size_t)cout);
                    int relu = cout & 1;
                    wi_conv2d_hwc(y, x, h, wd, cin, w, bias, k, k, cout, pad, relu, scratch);
                    ref_conv(r, x, h, wd, cin, w, bias, k, k, cout, pad, relu);
                    int oh = h + 2 * pad - k + 1, ow = wd + 2 * pad - k + 1;
                    expect_same("conv", y, r, (size_t)oh * ow * cout);
                    n_conv++;
                }

    for (int c = 1; c <= 9; c++) {
        int h = 7, wd = 6;
        fill(x, (size_t)h * wd * c);
        wi_maxpool2x2_hwc(y, x, h, wd, c);
        for (int oy = 0; oy < h / 2; oy++)
            for (int ox = 0; ox < wd / 2; ox++)
                for (int i = 0; i < c; i++) {
                    float m = x[((2 * oy) * wd + 2 * ox) * c + i];
                    m = fmaxf(m, x[((2 * oy) * wd + 2 * ox + 1) * c + i]);
                    m = fmaxf(m, x[((2 * oy + 1) * wd + 2 * ox) * c + i]);
                    m = fmaxf(m, x[((2 * oy + 1) * wd + 2 * ox + 1) * c + i]);
                    r[(oy * (wd / 2) + ox) * c + i] = m;
                }
        expect_same("maxpool", y, r, (size_t)(h / 2) * (wd / 2) * c);
    }

    {
        uint8_t u[37];
        for (int i = 0; i < 37; i++) u[i] = (uint8_t)(i * 7);
        wi_u8_to_f32(y, u, 37, 0.0111f, -0.81f);
        for (int i = 0; i < 37; i++) {
            float v = (float)u[i] * 0.0111f;
            r[i] = v + -0.81f;
        }
        expect_same("u8_to_f32", y, r, 37);
        fill(x, 37);
        wi_relu(memcpy(y, x, 37 * sizeof(float)), 37);
        for (int i = 0; i < 37; i++) r[i] = x[i] < 0 ? 0 : x[i];
        expect_same("relu", y, r, 37);
    }

    /* wi_all_finite: a NaN or infinity anywhere, including the vector body and the scalar tail */
    for (size_t n = 0; n <= 37; n++) {
        fill(x, 37);
        if (!wi_all_finite(x, n)) {
            printf("FAIL all_finite(%zu) on finite values\n", n);
            failures++;
        }
        for (size_t at = 0; at < n; at++) {
            float saved = x[at];
            float bad[] = {NAN, INFINITY, -INFINITY};
            for (int b = 0; b < 3; b++) {
                x[at] = bad[b];
                if (wi_all_finite(x, n)) {
                    printf("FAIL all_finite(%zu) missed %g at %zu\n", n, bad[b], at);
                    failures++;
                }
            }
            x[at] = saved;
        }
    }

    /* wi_expf against libm (double precision exp rounded to float) */
    double max_ulp = 0;
    for (float v = -103.9f; v < 88.7f; v += 0.0037f) {
        float e = wi_expf(v);
        double ref = exp((double)v);
        float rf = (float)ref;
        double ulp = fabs((double)e - ref) / (nextafterf(rf, INFINITY) - rf);
        if (rf != 0 && isfinite(rf) && ulp > max_ulp) max_ulp = ulp;
    }
    if (!(max_ulp <= 2.0)) {
        printf("FAIL wi_expf max error %.2f ulp\n", max_ulp);
        failures++;
    }
    if (wi_expf(-INFINITY) != 0.0f || wi_expf(INFINITY) != INFINITY || !isnan(wi_expf(NAN)) || wi_expf(0) != 1.0f) {
        printf("FAIL wi_expf special values\n");
        failures++;
    }
    float sm[10] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 100};
    wi_softmax(sm, 1, 10);
    double s = 0;
    for (int i = 0; i < 10; i++) s += sm[i];
    if (fabs(s - 1) > 1e-6 || !(sm[9] > 0.999f)) {
        printf("FAIL softmax\n");
        failures++;
    }

    printf("kernels: %d dense shapes, %d conv shapes, pool, u8, relu bit-identical to reference; "
           "wi_expf max error %.2f ulp: %s\n", n_dense, n_conv, max_ulp, failures ? "FAIL" : "OK");
    return failures ? 1 : 0;
}
