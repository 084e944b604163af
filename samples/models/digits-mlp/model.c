/* digits-mlp: MLP 64-128-10 on scikit-learn's 8x8 digits, as a wasm-inference ABI v1 module (docs/abi.md).
 *
 *   input  pixels f32 64   raw values 0..16 (row-major 8x8), scaled inside: x = pixels * IN_SCALE (1/16)
 *   output logits f32 10   class scores for digits 0..9 (no softmax)
 *
 *   dense 64->128 ReLU, 128->10; weights.h (written by train.py) holds them as [in][out].
 * Returns INVALID_INPUT (2) when an input value is NaN or infinite.
 */
#include "wi_abi.h"
#include "wi_kernels.h"
#include "weights.h"

#define MAX_BATCH 128
#define NIN 64
#define NHID 128
#define NCLASS 10

/* All buffers live in the arena (see wi_abi.h): nothing of them is stored in the binary. */
typedef struct {
    float pixels[MAX_BATCH * NIN];     /* input slot 0 */
    float logits[MAX_BATCH * NCLASS];  /* output slot 0 */
    float x0[MAX_BATCH * NIN];         /* scaled input */
    float h1[MAX_BATCH * NHID];
    float scratch[WI_DENSE_SCRATCH(NHID)]; /* for wi_dense; sized for the wider input, NHID >= NIN */
} arena_t;
_Static_assert(NHID >= NIN, "scratch too small");
WI_ARENA_STORAGE(arena_t)
#define AR WI_ARENA(arena_t)

static struct {
    wi_header h;
    wi_slot slot[2];
} ctl = {WI_HEADER_INIT(1, 1), {WI_ARENA_SLOT(arena_t, pixels), WI_ARENA_SLOT(arena_t, logits)}};

WI_EXPORT("wi_control") int wi_control(void) {
    wi_arena_reserve(sizeof(arena_t));
    return (int)WI_ADDR(&ctl);
}

WI_EXPORT("wi_run") int wi_run(void) {
    uint32_t batch = ctl.h.batch;
    if (batch < 1 || batch > MAX_BATCH)
        return wi_fail(&ctl.h, WI_INVALID_BATCH, "digits-mlp: batch must be 1..128");
    if (ctl.slot[0].length != batch * NIN * sizeof(float))
        return wi_fail(&ctl.h, WI_INVALID_INPUT, "digits-mlp: input length is not batch*256 bytes");
    if (!wi_arena_fits(sizeof(arena_t)))
        return wi_fail(&ctl.h, WI_INTERNAL_ERROR, "digits-mlp: linear memory too small for the buffers");
    arena_t *a = AR;
    size_t n = (size_t)batch * NIN;
    if (!wi_all_finite(a->pixels, n))
        return wi_fail(&ctl.h, WI_INVALID_INPUT, "digits-mlp: input contains NaN or infinity");
    wi_set_message(&ctl.h, 0);

    wi_scale_f32(a->x0, a->pixels, n, IN_SCALE);
    wi_dense(a->h1, a->x0, (int)batch, NIN, fc1_w, fc1_b, NHID, 1, a->scratch);
    wi_dense(a->logits, a->h1, (int)batch, NHID, fc2_w, fc2_b, NCLASS, 0, a->scratch);

    ctl.slot[1].length = batch * NCLASS * sizeof(float);
    return WI_OK;
}

#ifdef WI_NATIVE
/* For native test drivers (samples/check_native.c): the buffers behind the control block's slots. */
void *wi_native_input(int i) { return i == 0 ? (void *)AR->pixels : 0; }
void *wi_native_output(int i) { return i == 0 ? (void *)AR->logits : 0; }
wi_header *wi_native_header(void) { return &ctl.h; }
wi_slot *wi_native_slot(int i) { return &ctl.slot[i]; }
#endif
