/* graph_runtime.c -- the wasm "graph runtime" that io.wasminference.compiler turns into a model.
 *
 * An ABI v1 module (docs/abi.md) without a model: wi_control() and wi_run() read an execution plan (wig_plan.h)
 * that the compiler appends as a data segment at __heap_base, together with the weights. Built once from this
 * source (compiler/build-runtime.sh), committed, and checked for byte-for-byte reproducibility in CI; the
 * compiler itself needs only the JDK.
 *
 * One translation unit: the sample models' kernels (wi_kernels.c) and the generalized ones (wig_kernels.c).
 */
#include "wi_abi.h"
#include "wi_kernels.c"
#include "wig_kernels.c"

/* Addresses in the plan are wasm32 linear-memory addresses. A native build (bench/native/graph_harness.c, for
 * benchmarks and profiles of the same kernels) maps them onto a buffer that stands for linear memory. */
#if defined(__wasm__)
#define MEM(a) ((uint8_t *)(uintptr_t)(a))
#define PLAN_ADDR ((((uintptr_t)__heap_base) + 15u) & ~(uintptr_t)15u)
#define HEAP_BASE ((uint32_t)(uintptr_t)__heap_base)
#else
uint8_t *wig_native_memory;     /* linear memory */
uint32_t wig_native_plan;       /* the plan's address in it */
#define MEM(a) (wig_native_memory + (a))
#define PLAN_ADDR wig_native_plan
#define HEAP_BASE wig_native_plan
#endif

static struct {
    wi_header h;
    wi_slot slot[2 * WIG_MAX_IO];
} ctl;

/* The plan: at the first 16-byte boundary at or after __heap_base (where the compiler put it). */
static const uint32_t *plan(void) { return (const uint32_t *)(const void *)MEM(PLAN_ADDR); }

static const char *init_error;

#if !defined(__wasm__)
/* For the native harness: the control block (its slots hold linear-memory addresses). */
void *wig_native_control(void) { return &ctl; }
#endif

WI_EXPORT("wi_control") int wi_control(void) {
    const uint32_t *pl = plan();
    ctl.h.magic = WI_MAGIC;
    ctl.h.abi = WI_ABI_VERSION;
    init_error = 0;
    /* A broken plan leaves the counts at 0; the host then refuses the module because they do not match its
     * metadata, and reports the message. */
    if (pl[WIG_H_MAGIC] != WIG_MAGIC || pl[WIG_H_VERSION] != WIG_VERSION) {
        init_error = "graph runtime: no execution plan at __heap_base (not written by a matching compiler)";
    } else if (pl[WIG_H_N_INPUTS] > WIG_MAX_IO || pl[WIG_H_N_OUTPUTS] > WIG_MAX_IO) {
        init_error = "graph runtime: too many inputs or outputs in the plan";
    } else if (!wi_arena_reserve(pl[WIG_H_MEMORY_END] - HEAP_BASE)) {
        init_error = "graph runtime: linear memory cannot grow to what the plan needs (raise the memory limit)";
    }
    if (init_error) {
        wi_set_message(&ctl.h, init_error);
        return (int)WI_ADDR(&ctl);
    }
    uint32_t n = pl[WIG_H_N_INPUTS] + pl[WIG_H_N_OUTPUTS];
    ctl.h.n_inputs = pl[WIG_H_N_INPUTS];
    ctl.h.n_outputs = pl[WIG_H_N_OUTPUTS];
    for (uint32_t i = 0; i < n; i++) {
        ctl.slot[i].ptr = pl[WIG_H_IO + 2 * i];
        ctl.slot[i].capacity = pl[WIG_H_IO + 2 * i + 1] * pl[WIG_H_MAX_BATCH];
        ctl.slot[i].length = 0;
    }
    return (int)WI_ADDR(&ctl);
}

/* ---------------------------------------------------------------- op decoding */

typedef struct {
    uint8_t *p;      /* the first sample of this pass */
    uint32_t stride; /* bytes per sample; 0 for shared buffers */
} tref;

/* s0: the pass's first sample in the batch; j: the sample within the pass an op in a segment runs (0 otherwise) */
static inline tref targ(const uint32_t *a, uint32_t s0, uint32_t j) {
    tref t;
    t.p = MEM(a[0]) + (size_t)((a[2] & WIG_T_IO) ? s0 + j : j) * a[1];
    t.stride = a[1];
    return t;
}

static inline float *fs(tref t, uint32_t j) { return (float *)(void *)(t.p + (size_t)j * t.stride); }
static inline const float *faddr(uint32_t a) { return a ? (const float *)(const void *)MEM(a) : 0; }
static inline float *scratch_addr(uint32_t a) { return (float *)(void *)MEM(a); }
static inline float fbits(uint32_t u) { return f32_from_bits(u); }

static void conv_params(wig_conv_params *p, const uint32_t *a, int depthwise) {
    /* a: H, W, Cin, OH, OW, [Cout], kh, kw, sy, sx, dy, dx, pt, pl, pb, pr, [groups], act, p0, p1 */
    int i = 0;
    p->h = (int)a[i++];
    p->w = (int)a[i++];
    p->cin = (int)a[i++];
    p->oh = (int)a[i++];
    p->ow = (int)a[i++];
    p->cout = depthwise ? p->cin : (int)a[i++];
    p->kh = (int)a[i++];
    p->kw = (int)a[i++];
    p->sy = (int)a[i++];
    p->sx = (int)a[i++];
    p->dy = (int)a[i++];
    p->dx = (int)a[i++];
    p->pt = (int)a[i++];
    p->pl = (int)a[i++];
    p->pb = (int)a[i++];
    p->pr = (int)a[i++];
    p->groups = depthwise ? p->cin : (int)a[i++];
    p->act = (int)a[i++];
    p->p0 = fbits(a[i++]);
    p->p1 = fbits(a[i++]);
}

#define T0 targ(a, s0, sj)
#define T1 targ(a + 3, s0, sj)
#define T2 targ(a + 6, s0, sj)

/* Runs one op over n samples of the pass starting at batch sample s0 + sj; a: the op's arguments. */
static void run_op(uint32_t opcode, const uint32_t *a, uint32_t n, uint32_t s0, uint32_t sj) {
    switch (opcode) {
        case WIG_OP_CONVERT: {
            tref in = T0, out = T1;
            const uint32_t *q = a + 6;
            for (uint32_t j = 0; j < n; j++)
                wig_convert(out.p + (size_t)j * out.stride, in.p + (size_t)j * in.stride, q[0], (int)q[1],
                            (int)q[2], (int)q[3], (int)q[4], faddr(q[5]), faddr(q[6]), (int)q[7]);
            break;
        }
        case WIG_OP_UNARY: {
            tref in = T0, out = T1;
            const uint32_t *q = a + 6;
            for (uint32_t j = 0; j < n; j++) {
                float *o = fs(out, j);
                if (o != fs(in, j)) wi_copy_f32(o, fs(in, j), q[0]);
                wig_activate(o, q[0], (int)q[1], fbits(q[2]), fbits(q[3]));
            }
            break;
        }
        case WIG_OP_BINARY: {
            tref x = T0, y = T1, out = T2;
            const uint32_t *q = a + 9;
            int rank = (int)q[1];
            const uint32_t *dims = q + 5;
            for (uint32_t j = 0; j < n; j++)
                wig_binary(fs(out, j), fs(x, j), fs(y, j), rank, dims, (const int32_t *)(dims + rank),
                           (const int32_t *)(dims + 2 * rank), (int)q[0], (int)q[2], fbits(q[3]), fbits(q[4]));
            break;
        }
        case WIG_OP_CONV:
        case WIG_OP_DWCONV: {
            tref in = T0, out = T1;
            wig_conv_params p;
            uint32_t images = a[9];
            conv_params(&p, a + 10, opcode == WIG_OP_DWCONV);
            size_t in_img = (size_t)p.h * p.w * p.cin, out_img = (size_t)p.oh * p.ow * p.cout;
            for (uint32_t j = 0; j < n; j++)
                for (uint32_t k = 0; k < images; k++) {
                    float *o = fs(out, j) + k * out_img;
                    const float *x = fs(in, j) + k * in_img;
                    if (opcode == WIG_OP_CONV)
                        wig_conv(o, x, faddr(a[6]), faddr(a[7]), &p, scratch_addr(a[8]));
                    else
                        wig_dwconv(o, x, faddr(a[6]), faddr(a[7]), &p, scratch_addr(a[8]));
                }
            break;
        }
        case WIG_OP_DENSE: {
            /* rows of all n samples in one call: the compiler lays each sample's rows out contiguously */
            tref in = T0, out = T1;
            const uint32_t *q = a + 9;
            int rows = (int)(q[0] * n), k = (int)q[1], m = (int)q[2], act = (int)q[3];
            int relu = act == WIG_ACT_RELU;
            wi_dense(fs(out, 0), fs(in, 0), rows, k, faddr(a[6]), faddr(a[7]), m, relu, scratch_addr(a[8]));
            if (!relu) wig_activate(fs(out, 0), (size_t)rows * m, act, fbits(q[4]), fbits(q[5]));
            break;
        }
        case WIG_OP_POOL: {
            tref in = T0, out = T1;
            const uint32_t *q = a + 6; /* images, H, W, C, OH, OW, kind, kh, kw, sy, sx, dy, dx, pt, pl, pb, pr, incl */
            size_t in_img = (size_t)q[1] * q[2] * q[3], out_img = (size_t)q[4] * q[5] * q[3];
            for (uint32_t j = 0; j < n; j++)
                for (uint32_t k = 0; k < q[0]; k++)
                    wig_pool(fs(out, j) + k * out_img, fs(in, j) + k * in_img, (int)q[1], (int)q[2], (int)q[3],
                             (int)q[4], (int)q[5], (int)q[6], (int)q[7], (int)q[8], (int)q[9], (int)q[10],
                             (int)q[11], (int)q[12], (int)q[13], (int)q[14], (int)q[15], (int)q[16], (int)q[17]);
            break;
        }
        case WIG_OP_GLOBAL_POOL: {
            tref in = T0, out = T1;
            const uint32_t *q = a + 6; /* images, HW, C, kind */
            for (uint32_t j = 0; j < n; j++)
                for (uint32_t k = 0; k < q[0]; k++)
                    wig_global_pool(fs(out, j) + (size_t)k * q[2], fs(in, j) + (size_t)k * q[1] * q[2], (int)q[1],
                                    (int)q[2], (int)q[3]);
            break;
        }
        case WIG_OP_SOFTMAX: {
            tref in = T0, out = T1;
            const uint32_t *q = a + 6;
            for (uint32_t j = 0; j < n; j++)
                wig_softmax(fs(out, j), fs(in, j), (int)q[0], (int)q[1], (int)q[2], (int)q[3]);
            break;
        }
        case WIG_OP_COPY: {
            tref in = T0, out = T1;
            const uint32_t *q = a + 6;
            int rank = (int)q[0];
            int32_t ioff = (int32_t)q[1], ooff = (int32_t)q[2];
            const uint32_t *dims = q + 3;
            for (uint32_t j = 0; j < n; j++)
                wig_copy(fs(out, j) + ooff, fs(in, j) + ioff, rank, dims, (const int32_t *)(dims + rank),
                         (const int32_t *)(dims + 2 * rank));
            break;
        }
        case WIG_OP_FILL: {
            tref out = T0;
            const uint32_t *q = a + 3;
            for (uint32_t j = 0; j < n; j++) wi_fill_f32(fs(out, j) + q[0], fbits(q[2]), q[1]);
            break;
        }
        case WIG_OP_PAD: {
            tref in = T0, out = T1;
            const uint32_t *q = a + 6;
            int rank = (int)q[0];
            for (uint32_t j = 0; j < n; j++)
                wig_pad(fs(out, j), fs(in, j), rank, q + 2, q + 2 + rank, (const int32_t *)(q + 2 + 2 * rank),
                        (int)q[1]);
            break;
        }
        case WIG_OP_MATMUL: {
            tref x = T0, y = T1, out = T2;
            const uint32_t *q = a + 9;
            uint32_t batches = q[0], m = q[1], k = q[2], nn = q[3], xs = q[4], ys = q[5];
            for (uint32_t j = 0; j < n; j++)
                for (uint32_t t = 0; t < batches; t++)
                    wig_matmul(fs(out, j) + (size_t)t * m * nn, fs(x, j) + (size_t)t * xs, fs(y, j) + (size_t)t * ys,
                               (int)m, (int)k, (int)nn, (int)q[6], fbits(q[7]), fbits(q[8]));
            break;
        }
        case WIG_OP_REDUCE: {
            tref in = T0, out = T1;
            const uint32_t *q = a + 6;
            for (uint32_t j = 0; j < n; j++)
                wig_reduce(fs(out, j), fs(in, j), (int)q[0], (int)q[1], (int)q[2], (int)q[3]);
            break;
        }
        default:
            __builtin_trap(); /* the compiler never writes an unknown opcode */
    }
}

static int inputs_finite(const uint32_t *pl, uint32_t batch) {
    /* f32 inputs only: the compiler sets the flag when the model has float inputs */
    for (uint32_t i = 0; i < pl[WIG_H_N_INPUTS]; i++) {
        if (pl[WIG_H_IO + 2 * pl[WIG_H_N_INPUTS] + 2 * pl[WIG_H_N_OUTPUTS] + i] != WIG_DT_F32) continue;
        const float *x = (const float *)(const void *)MEM(ctl.slot[i].ptr);
        if (!wi_all_finite(x, (size_t)batch * pl[WIG_H_IO + 2 * i + 1] / 4)) return 0;
    }
    return 1;
}

WI_EXPORT("wi_run") int wi_run(void) {
    const uint32_t *pl = plan();
    if (init_error) return wi_fail(&ctl.h, WI_INTERNAL_ERROR, init_error);
    uint32_t batch = ctl.h.batch, n_in = pl[WIG_H_N_INPUTS], n_out = pl[WIG_H_N_OUTPUTS];
    if (batch < 1 || batch > pl[WIG_H_MAX_BATCH])
        return wi_fail(&ctl.h, WI_INVALID_BATCH, "graph runtime: batch out of range");
    for (uint32_t i = 0; i < n_in; i++)
        if (ctl.slot[i].length != batch * pl[WIG_H_IO + 2 * i + 1])
            return wi_fail(&ctl.h, WI_INVALID_INPUT, "graph runtime: input length is not batch * sample bytes");
    if ((pl[WIG_H_FLAGS] & WIG_FLAG_REJECT_NONFINITE) && !inputs_finite(pl, batch))
        return wi_fail(&ctl.h, WI_INVALID_INPUT, "input contains NaN or infinity");
    wi_set_message(&ctl.h, 0);
    uint32_t chunk = pl[WIG_H_CHUNK], n_ops = pl[WIG_H_N_OPS];
    for (uint32_t s0 = 0; s0 < batch; s0 += chunk) {
        uint32_t n = batch - s0 < chunk ? batch - s0 : chunk;
        const uint32_t *op = (const uint32_t *)(const void *)MEM(pl[WIG_H_OPS]);
        for (uint32_t k = 0; k < n_ops; k++) {
            if (op[0] == WIG_OP_SEGMENT) {
                uint32_t count = op[2];
                const uint32_t *first = op + op[1];
                for (uint32_t j = 0; j < n; j++) {
                    const uint32_t *q = first;
                    for (uint32_t t = 0; t < count; t++) {
                        run_op(q[0], q + 2, 1, s0, j);
                        q += q[1];
                    }
                }
                op = first;
                for (uint32_t t = 0; t < count; t++) op += op[1];
                k += count;
                continue;
            }
            run_op(op[0], op + 2, n, s0, 0);
            op += op[1];
        }
    }
    for (uint32_t i = 0; i < n_out; i++) ctl.slot[n_in + i].length = batch * pl[WIG_H_IO + 2 * (n_in + i) + 1];
    return WI_OK;
}
