/* fashion-lenet5: LeNet-5-style CNN on Fashion-MNIST, as a wasm-inference ABI v1 module (docs/abi.md).
 *
 *   input  image  u8  28x28   raw pixels 0..255, normalised inside: x = u8 * IN_SCALE + IN_SHIFT
 *   output logits f32 10      class scores (no softmax)
 *
 *   conv 5x5 'same' 1->8, ReLU, max-pool 2x2      28x28x1 -> 28x28x8 -> 14x14x8
 *   conv 5x5 'valid' 8->16, ReLU, max-pool 2x2    14x14x8 -> 10x10x16 -> 5x5x16
 *   dense 400->120 ReLU, 120->84 ReLU, 84->10
 *
 * Activations are HWC; weights.h (written by train.py) holds the weights already in the kernels' layouts.
 * The convolutions run one image at a time, the dense layers over the whole batch.
 */
#include "wi_abi.h"
#include "wi_kernels.h"
#include "weights.h"

#define MAX_BATCH 128
#define IMG 28
#define C1 8
#define C2 16
#define FEAT (5 * 5 * C2)
#define H1 120
#define H2 84
#define NCLASS 10

/* All buffers live in the arena (see wi_abi.h): nothing of them is stored in the binary. */
typedef struct {
    uint8_t image[MAX_BATCH * IMG * IMG];  /* input slot 0 */
    float logits[MAX_BATCH * NCLASS];      /* output slot 0 */
    float feat[MAX_BATCH * FEAT];          /* pool2, flattened HWC, one row per sample */
    float h1[MAX_BATCH * H1];
    float h2[MAX_BATCH * H2];
    float x0[IMG * IMG];                   /* normalised image */
    /* for the kernels: conv2's (14 x 14 x 8 input) is the largest of the convolutions' and dense layers' */
    float scratch[WI_CONV_SCRATCH(14, 14, C1, 0)];
    float a1[IMG * IMG * C1];              /* conv1 + ReLU */
    float p1[14 * 14 * C1];                /* pool1 */
    float a2[10 * 10 * C2];                /* conv2 + ReLU */
} arena_t;
_Static_assert(WI_CONV_SCRATCH(14, 14, C1, 0) >= WI_CONV_SCRATCH(IMG, IMG, 1, 2) &&
               WI_CONV_SCRATCH(14, 14, C1, 0) >= WI_DENSE_SCRATCH(FEAT), "scratch too small");
WI_ARENA_STORAGE(arena_t)
#define AR WI_ARENA(arena_t)

static struct {
    wi_header h;
    wi_slot slot[2];
} ctl = {WI_HEADER_INIT(1, 1), {WI_ARENA_SLOT(arena_t, image), WI_ARENA_SLOT(arena_t, logits)}};

WI_EXPORT("wi_control") int wi_control(void) {
    wi_arena_reserve(sizeof(arena_t));
    return (int)WI_ADDR(&ctl);
}

WI_EXPORT("wi_run") int wi_run(void) {
    uint32_t batch = ctl.h.batch;
    if (batch < 1 || batch > MAX_BATCH)
        return wi_fail(&ctl.h, WI_INVALID_BATCH, "fashion-lenet5: batch must be 1..128");
    if (ctl.slot[0].length != batch * IMG * IMG)
        return wi_fail(&ctl.h, WI_INVALID_INPUT, "fashion-lenet5: input length is not batch*784 bytes");
    if (!wi_arena_fits(sizeof(arena_t)))
        return wi_fail(&ctl.h, WI_INTERNAL_ERROR, "fashion-lenet5: linear memory too small for the buffers");
    wi_set_message(&ctl.h, 0);
    arena_t *a = AR;

    for (uint32_t b = 0; b < batch; b++) {
        wi_u8_to_f32(a->x0, a->image + (size_t)b * IMG * IMG, IMG * IMG, IN_SCALE, IN_SHIFT);
        wi_conv2d_hwc(a->a1, a->x0, IMG, IMG, 1, conv1_w, conv1_b, 5, 5, C1, 2, 1, a->scratch);
        wi_maxpool2x2_hwc(a->p1, a->a1, IMG, IMG, C1);
        wi_conv2d_hwc(a->a2, a->p1, 14, 14, C1, conv2_w, conv2_b, 5, 5, C2, 0, 1, a->scratch);
        wi_maxpool2x2_hwc(a->feat + (size_t)b * FEAT, a->a2, 10, 10, C2);
    }
    wi_dense(a->h1, a->feat, (int)batch, FEAT, fc1_w, fc1_b, H1, 1, a->scratch);
    wi_dense(a->h2, a->h1, (int)batch, H1, fc2_w, fc2_b, H2, 1, a->scratch);
    wi_dense(a->logits, a->h2, (int)batch, H2, fc3_w, fc3_b, NCLASS, 0, a->scratch);

    ctl.slot[1].length = batch * NCLASS * sizeof(float);
    return WI_OK;
}

#ifdef WI_NATIVE
/* For native test drivers (samples/check_native.c): the buffers behind the control block's slots. */
void *wi_native_input(int i) { return i == 0 ? (void *)AR->image : 0; }
void *wi_native_output(int i) { return i == 0 ? (void *)AR->logits : 0; }
wi_header *wi_native_header(void) { return &ctl.h; }
wi_slot *wi_native_slot(int i) { return &ctl.slot[i]; }
#endif
