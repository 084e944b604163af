;; features_accepted: identity (x f32 4 -> y f32 4, max_batch 8) that uses every post-MVP feature ABI v1
;; accepts (docs/abi.md section 6), so a test fails if the engine configuration drops one of them:
;; SIMD128 (v128.load/store copy each sample), bulk memory (memory.fill clears the output first), multi-value
;; ($geometry returns two values), sign extension (i32.extend8_s), non-trapping float-to-int
;; (i32.trunc_sat_f32_s) and an exported mutable global (mutable-globals; counts calls).
;; Returns 3 (INTERNAL_ERROR) if sign extension or saturation compute the wrong value.
;; Expect: works, y == x.
(module
  (import "env" "memory" (memory 1))
  (global $calls (export "calls") (mut i32) (i32.const 0))
  ;; control block at 1024, input buffer at 2048 (8*16 bytes), output buffer at 4096
  (data (i32.const 1024) "WCB1\01\00\00\00\00\00\00\00\01\00\00\00\01\00\00\00")
  (data (i32.const 1056) "\00\08\00\00\80\00\00\00")  ;; input slot: ptr 2048, capacity 128
  (data (i32.const 1072) "\00\10\00\00\80\00\00\00")  ;; output slot: ptr 4096, capacity 128
  (func (export "wi_control") (result i32) (i32.const 1024))
  ;; (batch, bytes of the batch)
  (func $geometry (result i32 i32)
    (i32.load (i32.const 1032))
    (i32.mul (i32.load (i32.const 1032)) (i32.const 16)))
  (func (export "wi_run") (result i32)
    (local $batch i32) (local $bytes i32) (local $off i32)
    (global.set $calls (i32.add (global.get $calls) (i32.const 1)))
    (if (i32.ne (i32.extend8_s (i32.const 0xFF)) (i32.const -1)) (then (return (i32.const 3))))
    (if (i32.ne (i32.trunc_sat_f32_s (f32.const 1e10)) (i32.const 0x7FFFFFFF)) (then (return (i32.const 3))))
    (call $geometry)
    (local.set $bytes)
    (local.set $batch)
    (memory.fill (i32.const 4096) (i32.const 0) (local.get $bytes))
    (block $done
      (loop $copy
        (br_if $done (i32.ge_u (local.get $off) (local.get $bytes)))
        (v128.store (i32.add (i32.const 4096) (local.get $off))
                    (v128.load (i32.add (i32.const 2048) (local.get $off))))
        (local.set $off (i32.add (local.get $off) (i32.const 16)))
        (br $copy)))
    (i32.store (i32.const 1080) (local.get $bytes))
    (i32.const 0)))
