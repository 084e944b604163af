/* wig_plan.h -- the execution plan the ONNX compiler writes into the graph runtime (docs/compiler.md).
 *
 * The compiler (Java, io.wasminference.compiler) resolves everything at compile time: shapes, buffer addresses,
 * weight layouts, kernel choice. It appends one data segment to graph-runtime.wasm that holds, from the first
 * 16-byte boundary at or after __heap_base: this plan (header, op stream), then the weights; the arena of
 * intermediate tensors follows. The runtime only interprets the op stream. Every word is a u32, little-endian;
 * every address is absolute in linear memory. Floats are stored as their IEEE-754 bits.
 *
 * io.wasminference.compiler.lower.Opcode mirrors the opcodes and argument layouts below; PlanFormatTest checks
 * that both agree.
 */
#ifndef WIG_PLAN_H
#define WIG_PLAN_H

#define WIG_MAGIC 0x31474957u /* bytes 'W' 'I' 'G' '1' */
#define WIG_VERSION 1u
#define WIG_MAX_IO 16
#define WIG_MAX_RANK 6

/* Header words */
#define WIG_H_MAGIC 0
#define WIG_H_VERSION 1
#define WIG_H_N_INPUTS 2
#define WIG_H_N_OUTPUTS 3
#define WIG_H_MAX_BATCH 4
#define WIG_H_CHUNK 5      /* samples per pass through the op stream (1 or max_batch) */
#define WIG_H_N_OPS 6
#define WIG_H_OPS 7        /* address of the first op */
#define WIG_H_MEMORY_END 8 /* linear memory the plan needs, in bytes */
#define WIG_H_FLAGS 9
#define WIG_H_IO 10        /* then per input, then per output: buffer address, bytes per sample (2 words);
                            * then per input: its dtype (WIG_DT_*) */

#define WIG_FLAG_REJECT_NONFINITE 1u /* float inputs with NaN or +-Inf are INVALID_INPUT */

/* An op: [opcode, number of words including these two, arguments...]. A tensor argument ("T") is three words:
 * address, bytes per sample (0: one buffer shared by all samples: weights, scratch, a segment's intermediates),
 * flags. With WIG_T_IO the buffer is an ABI input or output buffer sized for max_batch, and the pass over samples
 * [s0, s0+chunk) starts at address + s0 * bytes per sample. An op outside a segment runs the `n` samples of the
 * pass at once: sample j at address + j * bytes per sample. */
#define WIG_T_WORDS 3
#define WIG_T_IO 1u

/* Element types (the order of ABI v1's dtypes) */
#define WIG_DT_F32 0
#define WIG_DT_F64 1
#define WIG_DT_I32 2
#define WIG_DT_I64 3
#define WIG_DT_I8 4
#define WIG_DT_U8 5

/* Activations, fused into the ops that take `act, p0, p1` or run alone (WIG_OP_UNARY) */
#define WIG_ACT_NONE 0
#define WIG_ACT_RELU 1
#define WIG_ACT_CLIP 2        /* min(max(x, p0), p1) */
#define WIG_ACT_LEAKY_RELU 3  /* x < 0 ? p0 * x : x */
#define WIG_ACT_SIGMOID 4
#define WIG_ACT_HARD_SIGMOID 5 /* max(0, min(1, p0 * x + p1)) */
#define WIG_ACT_HARD_SWISH 6  /* x * clip(x + 3, 0, 6) / 6, in that order (as exported graphs compute it) */
#define WIG_ACT_TANH 7
#define WIG_ACT_EXP 8
#define WIG_ACT_SQRT 9
#define WIG_ACT_NEG 10
#define WIG_ACT_ABS 11
#define WIG_ACT_RECIPROCAL 12
#define WIG_ACT_LOG 13
#define WIG_ACT_HARD_SWISH_ONNX 14 /* x * max(0, min(1, x / 6 + 0.5)): ONNX HardSwish */

/* Binary operators (WIG_OP_BINARY) */
#define WIG_BIN_ADD 0
#define WIG_BIN_SUB 1
#define WIG_BIN_MUL 2
#define WIG_BIN_DIV 3
#define WIG_BIN_POW 4
#define WIG_BIN_MAX 5
#define WIG_BIN_MIN 6

/* Opcodes and their arguments after [opcode, words] */

/* in T, out T, count (elements per sample), src dtype, dst dtype, channels, inner, scale addr, shift addr,
 * channels_last
 * out[i] = convert(in[i]) * scale[c] + shift[c] with c = (i / inner) % channels; scale/shift 0 = none.
 * One of src/dst is f32. channels_last 1: the output is stored channel innermost (NCHW in, NHWC out). */
#define WIG_OP_CONVERT 1
/* in T, out T, count, act, p0, p1 (out may equal in) */
#define WIG_OP_UNARY 2
/* a T, b T, out T, op, rank, act, p0, p1, dims[rank], a_strides[rank], b_strides[rank]
 * Strides in elements (0 broadcasts); out is dense with dims (per sample). */
#define WIG_OP_BINARY 3
/* in T, out T, weights, bias (0 none), scratch, images, H, W, Cin, OH, OW, Cout, kh, kw, sy, sx, dy, dx,
 * pad_top, pad_left, pad_bottom, pad_right, groups, act, p0, p1
 * NHWC, `images` images per sample; weights [group][kh][kw][Cin/groups][Cout/groups]; scratch:
 * wig_conv_scratch() floats. */
#define WIG_OP_CONV 4
/* in T, out T, weights, bias, scratch, images, H, W, C, OH, OW, kh, kw, sy, sx, dy, dx, pad_top, pad_left, pad_bottom,
 * pad_right, act, p0, p1   (depthwise: one filter per channel; NHWC; weights [kh][kw][C]) */
#define WIG_OP_DWCONV 5
/* in T, out T, weights, bias, scratch, M (rows per sample), K, N, act, p0, p1
 * out[r][o] = bias[o] + sum_k in[r][k] * w[k][o]; weights [K][N]; scratch WI_DENSE_SCRATCH(K) floats. */
#define WIG_OP_DENSE 6
/* in T, out T, images, H, W, C, OH, OW, kind (0 max, 1 average), kh, kw, sy, sx, dy, dx, pad_top, pad_left,
 * pad_bottom, pad_right, count_include_pad   (NHWC; windows are clipped to the input; an average divides by
 * the taps inside the input, or with count_include_pad inside the padded input) */
#define WIG_OP_POOL 7
/* in T, out T, images, HW, C, kind (0 max, 1 average)   (NHWC in, C values out per image) */
#define WIG_OP_GLOBAL_POOL 8
/* in T, out T, outer, len, inner, log (0 softmax, 1 log-softmax) */
#define WIG_OP_SOFTMAX 9
/* in T, out T, rank, in_offset, out_offset, dims[rank], in_strides[rank], out_strides[rank]
 * Offsets and strides in elements (i32, may be negative for input); f32 elements. Transpose, slice, concat. */
#define WIG_OP_COPY 10
/* out T, offset, count, value   (f32 elements) */
#define WIG_OP_FILL 11
/* in T, out T, rank, mode (1 reflect, 2 edge), in_dims[rank], out_dims[rank], before[rank] */
#define WIG_OP_PAD 12
/* a T, b T, out T, batches, M, K, N, a_batch_stride, b_batch_stride (elements, 0 broadcasts), act, p0, p1
 * out[t][m][n] = sum_k a[t][m][k] * b[t][k][n], both row-major, out dense. */
#define WIG_OP_MATMUL 13
/* in T, out T, outer, len, inner, kind (0 sum, 1 mean, 2 max, 3 min, 4 sum of squares, 5 product) */
#define WIG_OP_REDUCE 14
/* count: the next `count` ops run one sample at a time, all of them for sample 0, then for sample 1, ...
 * (their per-sample tensors offset by the sample's index), so a sample's intermediates stay in cache; tensors
 * that live only inside the segment are single buffers (0 bytes per sample). */
#define WIG_OP_SEGMENT 15

#endif /* WIG_PLAN_H */
