/* graph_harness.c -- times a model compiled from ONNX (a graph-runtime module) natively: the graph runtime's C
 * (compiler/src/main/c) built for x86-64 and run on the plan and weights taken from the .wasm file, so the same
 * kernels and the same plan run without the sandbox. Linear memory is a buffer; wasm addresses index it.
 *
 *   graph_harness MODEL.wasm BATCH MILLIS REPEATS [INPUTS.bin]   -> prints the fastest wi_run in microseconds
 *
 * Inputs: INPUTS.bin (raw bytes, repeated to fill the batch) or a fixed pattern. Build (bench/run.sh):
 *   clang -O3 -march=x86-64 -ffp-contract=off -Isamples/abi -Isamples/kernels -Icompiler/src/main/c \
 *         bench/native/graph_harness.c compiler/src/main/c/graph_runtime.c -o graph_harness
 */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "wi_abi.h"

extern uint8_t *wig_native_memory;
extern uint32_t wig_native_plan;
void *wig_native_control(void);
int wi_control(void);
int wi_run(void);

static const uint8_t *p, *end;
static uint64_t leb(void) {
    uint64_t v = 0;
    int shift = 0;
    uint8_t b;
    do {
        b = *p++;
        v |= (uint64_t)(b & 0x7f) << shift;
        shift += 7;
    } while (b & 0x80);
    return v;
}
static int64_t sleb(void) {
    int64_t v = 0;
    int shift = 0;
    uint8_t b;
    do {
        b = *p++;
        v |= (int64_t)(b & 0x7f) << shift;
        shift += 7;
    } while (b & 0x80);
    if (shift < 64 && (b & 0x40)) v |= -((int64_t)1 << shift);
    return v;
}
static void skip_name(void) { uint64_t n = leb(); p += n; }

static double now_us(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

int main(int argc, char **argv) {
    if (argc < 5) {
        fprintf(stderr, "usage: graph_harness MODEL.wasm BATCH MILLIS REPEATS [INPUTS.bin]\n");
        return 2;
    }
    FILE *f = fopen(argv[1], "rb");
    if (!f) { perror(argv[1]); return 1; }
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *wasm = malloc((size_t)size);
    if (fread(wasm, 1, (size_t)size, f) != (size_t)size) { perror("read"); return 1; }
    fclose(f);
    uint32_t batch = (uint32_t)atoi(argv[2]);
    double millis = atof(argv[3]);
    int repeats = atoi(argv[4]);

    /* pass 1: memory size, __heap_base */
    uint64_t min_pages = 0, heap_base = 0;
    int64_t globals[64];
    int nglobals = 0;
    int64_t heap_global = -1;
    for (p = wasm + 8, end = wasm + size; p < end;) {
        int id = *p++;
        uint64_t len = leb();
        const uint8_t *next = p + len;
        if (id == 2) {
            uint64_t n = leb();
            for (uint64_t i = 0; i < n; i++) {
                skip_name(); skip_name();
                int kind = *p++;
                if (kind == 2) { int fl = *p++; min_pages = leb(); if (fl & 1) leb(); }
            }
        } else if (id == 6) {
            uint64_t n = leb();
            for (uint64_t i = 0; i < n && nglobals < 64; i++) { p += 2; p++; globals[nglobals++] = sleb(); p++; }
        } else if (id == 7) {
            uint64_t n = leb();
            for (uint64_t i = 0; i < n; i++) {
                uint64_t nl = leb();
                int is_heap = nl == 11 && memcmp(p, "__heap_base", 11) == 0;
                p += nl;
                int kind = *p++;
                uint64_t idx = leb();
                if (is_heap && kind == 3) heap_global = (int64_t)idx;
            }
        }
        p = next;
    }
    if (heap_global < 0 || heap_global >= nglobals) { fprintf(stderr, "no __heap_base export\n"); return 1; }
    heap_base = (uint64_t)globals[heap_global];
    size_t mem_bytes = (size_t)min_pages * 65536u;
    wig_native_memory = aligned_alloc(64, mem_bytes);
    memset(wig_native_memory, 0, mem_bytes);
    /* pass 2: active data segments */
    for (p = wasm + 8; p < end;) {
        int id = *p++;
        uint64_t len = leb();
        const uint8_t *next = p + len;
        if (id == 11) {
            uint64_t n = leb();
            for (uint64_t i = 0; i < n; i++) {
                uint64_t flags = leb();
                if (flags != 0) { fprintf(stderr, "unsupported data segment\n"); return 1; }
                p++; /* i32.const */
                int64_t off = sleb();
                p++; /* end */
                uint64_t bytes = leb();
                memcpy(wig_native_memory + off, p, bytes);
                p += bytes;
            }
        }
        p = next;
    }
    wig_native_plan = (uint32_t)((heap_base + 15) & ~(uint64_t)15);
    if (getenv("WIG_MAX_OPS")) /* profiling: run only the plan's first N ops */
        ((uint32_t *)(wig_native_memory + wig_native_plan))[6] = (uint32_t)atoi(getenv("WIG_MAX_OPS"));
    wi_control();
    struct { wi_header h; wi_slot slot[32]; } *ctl = wig_native_control();
    if (ctl->h.msg_len) { fprintf(stderr, "wi_control: %.*s\n", (int)ctl->h.msg_len, (char *)wig_native_memory + ctl->h.msg_ptr); return 1; }
    uint32_t n_in = ctl->h.n_inputs;
    uint8_t *src = NULL;
    size_t src_len = 0;
    if (argc > 5) {
        FILE *in = fopen(argv[5], "rb");
        if (!in) { perror(argv[5]); return 1; }
        fseek(in, 0, SEEK_END);
        src_len = (size_t)ftell(in);
        fseek(in, 0, SEEK_SET);
        src = malloc(src_len);
        if (fread(src, 1, src_len, in) != src_len) { perror("read inputs"); return 1; }
        fclose(in);
    }
    const uint32_t *pl = (const uint32_t *)(wig_native_memory + wig_native_plan);
    uint32_t n_out = ctl->h.n_outputs;
    for (uint32_t i = 0; i < n_in; i++) {
        uint32_t sample = pl[10 + 2 * i + 1];
        uint32_t dtype = pl[10 + 2 * (n_in + n_out) + i];
        uint8_t *buf = wig_native_memory + ctl->slot[i].ptr;
        for (size_t k = 0; k < (size_t)sample * batch; k++)
            buf[k] = src ? src[k % src_len] : (uint8_t)((k * 2654435761u) >> 24);
        if (!src && dtype == 0) /* f32: small finite values, not random bit patterns */
            for (size_t k = 0; k < (size_t)sample * batch / 4; k++) ((float *)(void *)buf)[k] = (float)(k % 13) * 0.1f;
        ctl->slot[i].length = sample * batch;
    }
    ctl->h.batch = batch;
    double best = 1e300;
    for (int r = 0; r <= repeats; r++) {
        double stop = now_us() + millis * 1000;
        while (now_us() < stop) {
            double t0 = now_us();
            int status = wi_run();
            double t = now_us() - t0;
            if (status != 0) { fprintf(stderr, "wi_run returned %d\n", status); return 1; }
            if (r > 0 && t < best) best = t;
        }
    }
    printf("%.1f\n", best);
    return 0;
}
