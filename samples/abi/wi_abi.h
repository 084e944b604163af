/* wi_abi.h -- header-only helper for the wasm-inference ABI v1 (docs/abi.md).
 *
 * A model defines its control block as a static struct, fills the constant fields at compile time, and exports
 * the two entry points:
 *
 *   static struct { wi_header h; wi_slot slot[2]; } ctl = {
 *       WI_HEADER_INIT(1, 1),
 *       { WI_SLOT_INIT(in_buf), WI_SLOT_INIT(out_buf) } };      (or WI_ARENA_SLOT, below)
 *   WI_EXPORT("wi_control") int wi_control(void) { return WI_ADDR(&ctl); }
 *   WI_EXPORT("wi_run") int wi_run(void) { ... return WI_OK; }
 *
 * No libc, no host functions. Compiles natively too (the export attribute is then omitted), so the same model
 * source can be tested and benchmarked as a native program.
 */
#ifndef WI_ABI_H
#define WI_ABI_H

#include <stddef.h>
#include <stdint.h>

#define WI_MAGIC 0x31424357u /* bytes 'W' 'C' 'B' '1' in little-endian memory */
#define WI_ABI_VERSION 1u

/* wi_run status codes (docs/abi.md section 5) */
#define WI_OK 0
#define WI_INVALID_BATCH 1
#define WI_INVALID_INPUT 2
#define WI_INTERNAL_ERROR 3

#if defined(__wasm__)
#define WI_EXPORT(name) __attribute__((export_name(name), visibility("default")))
#else
#define WI_EXPORT(name) __attribute__((visibility("default")))
#endif

/* Header of the control block: 32 bytes, all fields u32 little-endian (wasm32 is little-endian). */
typedef struct {
    volatile uint32_t magic;     /* module: WI_MAGIC */
    volatile uint32_t abi;       /* module: 1 */
    volatile uint32_t batch;     /* host, before each wi_run: 1..max_batch */
    volatile uint32_t n_inputs;  /* module */
    volatile uint32_t n_outputs; /* module */
    volatile uint32_t msg_ptr;   /* module, optional: UTF-8 message for the last non-zero status */
    volatile uint32_t msg_len;   /* module, optional */
    volatile uint32_t reserved;
} wi_header;

/* One tensor slot: 16 bytes. Inputs first, then outputs, in metadata order. */
typedef struct {
    volatile uint32_t ptr;      /* module: buffer address */
    volatile uint32_t capacity; /* module: bytes at ptr, >= max_batch * sample_bytes */
    volatile uint32_t length;   /* input: host writes it; output: module writes it before returning WI_OK */
    volatile uint32_t reserved;
} wi_slot;

_Static_assert(sizeof(wi_header) == 32, "wi_header must be 32 bytes");
_Static_assert(sizeof(wi_slot) == 16, "wi_slot must be 16 bytes");

/* An address in linear memory as the u32 the ABI stores. On a native (64-bit) build the truncated pointer is
 * meaningless; native test drivers use the buffers directly and never read ptr. */
#define WI_ADDR(p) ((uint32_t)(uintptr_t)(p))

#define WI_HEADER_INIT(n_in, n_out) { WI_MAGIC, WI_ABI_VERSION, 0, (n_in), (n_out), 0, 0, 0 }

/* Static initialiser for a slot over a static array (a constant expression on wasm32). */
#if defined(__wasm__)
#define WI_SLOT_INIT(buf) { (uint32_t)(uintptr_t)(buf), (uint32_t)sizeof(buf), 0, 0 }
#else
#define WI_SLOT_INIT(buf) { 0, (uint32_t)sizeof(buf), 0, 0 }
#endif

/* The arena: the model's tensor and scratch buffers, as one struct type placed right after the module's data
 * and stack (at the linker symbol __heap_base) instead of in static arrays. With an imported memory wasm-ld
 * writes zero-initialised static arrays out as data segments (it cannot assume the host's memory is zeroed),
 * which would make the binary several times larger than its weights; the arena costs nothing in the binary.
 * Nothing in it may be read before it is written. wi_control() calls wi_arena_reserve() to grow the memory
 * over it if the host's memory is smaller (memory.grow is an instruction, not an import).
 *
 *   typedef struct { uint8_t image[128 * 784]; float logits[128 * 10]; float scratch[...]; } arena_t;
 *   WI_ARENA_STORAGE(arena_t)                                   (a static instance in native builds only)
 *   #define AR WI_ARENA(arena_t)                                (arena_t *)
 *   ... = { WI_HEADER_INIT(1, 1), { WI_ARENA_SLOT(arena_t, image), WI_ARENA_SLOT(arena_t, logits) } };
 */
#if defined(__wasm__)
extern unsigned char __heap_base[];
#define WI_ARENA_STORAGE(type)
#define WI_ARENA(type) ((type *)(void *)__heap_base)
#define WI_ARENA_SLOT(type, field) \
    { (uint32_t)(uintptr_t)(__heap_base + offsetof(type, field)), (uint32_t)sizeof(((type *)0)->field), 0, 0 }
#else
#define WI_ARENA_STORAGE(type) static type wi_arena_storage __attribute__((aligned(64)));
#define WI_ARENA(type) (&wi_arena_storage)
#define WI_ARENA_SLOT(type, field) { 0, (uint32_t)sizeof(((type *)0)->field), 0, 0 }
#endif

/* 1 if linear memory holds `bytes` bytes from the arena's start (always 1 natively). */
static inline int wi_arena_fits(uint32_t bytes) {
#if defined(__wasm__)
    uint64_t end = (uint64_t)(uintptr_t)__heap_base + bytes;
    return end <= (uint64_t)__builtin_wasm_memory_size(0) * 65536u;
#else
    (void)bytes;
    return 1;
#endif
}

/* Grow linear memory so that the arena fits; returns 1 on success, 0 if memory.grow failed (the host then
 * finds the buffers outside memory and refuses the module with a clear error). */
static inline int wi_arena_reserve(uint32_t bytes) {
#if defined(__wasm__)
    if (wi_arena_fits(bytes)) return 1;
    uint64_t end = (uint64_t)(uintptr_t)__heap_base + bytes;
    uint64_t have = (uint64_t)__builtin_wasm_memory_size(0) * 65536u;
    uint32_t pages = (uint32_t)((end - have + 65535u) / 65536u);
    return __builtin_wasm_memory_grow(0, pages) != (size_t)-1;
#else
    (void)bytes;
    return 1;
#endif
}

/* Set (or clear, with msg == 0) the status message. msg must be static. */
static inline void wi_set_message(wi_header *h, const char *msg) {
    uint32_t n = 0;
    if (msg)
        while (msg[n]) n++;
    h->msg_ptr = msg ? WI_ADDR(msg) : 0;
    h->msg_len = n;
}

/* Return status after setting the message; for one-line error exits. */
static inline int wi_fail(wi_header *h, int status, const char *msg) {
    wi_set_message(h, msg);
    return status;
}

#endif /* WI_ABI_H */
