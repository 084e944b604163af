/* harness.c -- times a sample model's C (model.c + wi_kernels.c, built natively with -DWI_NATIVE) through its
 * ABI v1 control block, the way the wasm host drives model.wasm: per call, copy the batch's input bytes into the
 * model's input buffer, set the lengths and the batch size, call wi_run(), copy the outputs out.
 *
 *   harness LABEL INPUTS.bin SAMPLE_BYTES OUTPUT_BYTES BATCHES MIN_MILLIS REPEATS [LOGITS.bin]
 *
 * INPUTS.bin holds at least max(BATCHES) samples of SAMPLE_BYTES each (written by the bench's DataExport, the
 * same samples the Java benchmarks use). BATCHES is comma-separated. For each batch size the harness finds an
 * iteration count that takes >= MIN_MILLIS, then runs REPEATS timed rounds of it and prints one CSV line:
 *   LABEL,BATCH,median_ns_per_batch,min_ns_per_batch,max_ns_per_batch,rounds
 * LOGITS.bin, if given, receives the outputs of the largest batch (for the bench's bit-for-bit comparison).
 * Single-threaded, no libc calls inside the timed loop other than memcpy.
 */
#define _POSIX_C_SOURCE 199309L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "wi_abi.h"

int wi_run(void);
int wi_control(void);
void *wi_native_input(int i);
void *wi_native_output(int i);
wi_header *wi_native_header(void);
wi_slot *wi_native_slot(int i);

static double now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static unsigned char *inputs;
static unsigned char *outputs;
static size_t sample_bytes, output_bytes;
static volatile float sink;

static void one_call(int batch) {
    wi_header *h = wi_native_header();
    memcpy(wi_native_input(0), inputs, (size_t)batch * sample_bytes);
    wi_native_slot(0)->length = (uint32_t)(batch * sample_bytes);
    wi_native_slot(1)->length = 0;
    h->batch = (uint32_t)batch;
    int status = wi_run();
    if (status != 0 || wi_native_slot(1)->length != batch * output_bytes) {
        fprintf(stderr, "harness: wi_run returned %d (output length %u) at batch %d\n", status,
                (unsigned)wi_native_slot(1)->length, batch);
        exit(1);
    }
    memcpy(outputs, wi_native_output(0), (size_t)batch * output_bytes);
    sink += ((float *)outputs)[0];
}

int main(int argc, char **argv) {
    if (argc < 8) {
        fprintf(stderr, "usage: harness LABEL INPUTS.bin SAMPLE_BYTES OUTPUT_BYTES BATCHES MIN_MILLIS REPEATS "
                        "[LOGITS.bin]\n");
        return 2;
    }
    const char *label = argv[1];
    sample_bytes = (size_t)atol(argv[3]);
    output_bytes = (size_t)atol(argv[4]);
    double min_ns = atof(argv[6]) * 1e6;
    int repeats = atoi(argv[7]);
    int batches[32], nb = 0, maxb = 0;
    for (char *s = strtok(argv[5], ","); s && nb < 32; s = strtok(NULL, ",")) {
        batches[nb] = atoi(s);
        if (batches[nb] > maxb) maxb = batches[nb];
        nb++;
    }
    FILE *f = fopen(argv[2], "rb");
    if (!f) { perror(argv[2]); return 1; }
    inputs = malloc((size_t)maxb * sample_bytes);
    outputs = malloc((size_t)maxb * output_bytes);
    if (fread(inputs, sample_bytes, (size_t)maxb, f) != (size_t)maxb) {
        fprintf(stderr, "harness: %s holds fewer than %d samples\n", argv[2], maxb);
        return 1;
    }
    fclose(f);
    wi_control();

    for (int i = 0; i < nb; i++) {
        int batch = batches[i];
        long iters = 1;
        for (;;) { /* warm up and calibrate */
            double t0 = now_ns();
            for (long k = 0; k < iters; k++) one_call(batch);
            double dt = now_ns() - t0;
            if (dt >= min_ns) break;
            iters = dt < min_ns / 16 ? iters * 8 : (long)(iters * 1.3 * min_ns / dt) + 1;
        }
        double *r = malloc(sizeof(double) * (size_t)repeats);
        for (int k = 0; k < repeats; k++) {
            double t0 = now_ns();
            for (long j = 0; j < iters; j++) one_call(batch);
            r[k] = (now_ns() - t0) / (double)iters;
        }
        qsort(r, (size_t)repeats, sizeof(double), cmp_double);
        printf("%s,%d,%.1f,%.1f,%.1f,%d\n", label, batch, r[repeats / 2], r[0], r[repeats - 1], repeats);
        fflush(stdout);
        free(r);
    }
    if (argc > 8) {
        one_call(maxb);
        FILE *o = fopen(argv[8], "wb");
        if (!o || fwrite(outputs, output_bytes, (size_t)maxb, o) != (size_t)maxb) { perror(argv[8]); return 1; }
        fclose(o);
    }
    return 0;
}
