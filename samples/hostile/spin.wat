;; spin: identity (x f32 4 -> y f32 4, max_batch 16) that, for each sample, busy-loops
;; floor(x[0]) * 1,000,000 iterations before copying. x[0] <= 0 (or NaN) is instant; each unit costs
;; roughly 0.3 ms on a current x86-64 CPU (not calibrated); x[0] = 1e6 runs for minutes, i.e. "forever".
;; The outer count saturates (i64.trunc_sat), so huge x[0] never wraps around to a short loop.
(module
  (import "env" "memory" (memory 1))
  ;; control block at 1024, input buffer at 2048 (16*16 bytes), output buffer at 4096
  (data (i32.const 1024) "WCB1\01\00\00\00\00\00\00\00\01\00\00\00\01\00\00\00")
  (data (i32.const 1056) "\00\08\00\00\00\01\00\00")  ;; input slot: ptr 2048, capacity 256
  (data (i32.const 1072) "\00\10\00\00\00\01\00\00")  ;; output slot: ptr 4096, capacity 256
  (func (export "wi_control") (result i32) (i32.const 1024))
  (func $spin (param $units i64)
    (local $inner i32)
    (block $done (loop $outer
      (br_if $done (i64.le_s (local.get $units) (i64.const 0)))
      (local.set $inner (i32.const 1000000))
      (loop $burn
        (local.set $inner (i32.sub (local.get $inner) (i32.const 1)))
        (br_if $burn (local.get $inner)))
      (local.set $units (i64.sub (local.get $units) (i64.const 1)))
      (br $outer))))
  (func (export "wi_run") (result i32)
    (local $b i32) (local $i i32) (local $n i32)
    (local.set $b (i32.load (i32.const 1032)))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $b)))
      ;; x[i][0] lives at 2048 + 16*i
      (call $spin (i64.trunc_sat_f32_s (f32.floor (f32.load offset=2048 (i32.shl (local.get $i) (i32.const 4))))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next)))
    (local.set $n (i32.mul (local.get $b) (i32.const 16)))
    (memory.copy (i32.const 4096) (i32.const 2048) (local.get $n))
    (i32.store (i32.const 1080) (local.get $n))
    (i32.const 0)))
