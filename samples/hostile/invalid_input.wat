;; invalid_input: identity (x f32 4 -> y f32 4, max_batch 8) that returns status 2 (INVALID_INPUT) with the
;; message "x[0] must be >= 0" (msg_ptr/msg_len) if any sample has x[0] < 0; otherwise copies and returns 0
;; (clearing msg_ptr/msg_len). -0.0 and NaN are not < 0, so they are accepted.
(module
  (import "env" "memory" (memory 1))
  ;; control block at 1024, input buffer at 2048 (8*16 bytes), output buffer at 4096
  (data (i32.const 1024) "WCB1\01\00\00\00\00\00\00\00\01\00\00\00\01\00\00\00")
  (data (i32.const 1056) "\00\08\00\00\80\00\00\00")  ;; input slot: ptr 2048, capacity 128
  (data (i32.const 1072) "\00\10\00\00\80\00\00\00")  ;; output slot: ptr 4096, capacity 128
  (data (i32.const 1536) "x[0] must be >= 0")        ;; the message, 17 bytes
  (func (export "wi_control") (result i32) (i32.const 1024))
  (func (export "wi_run") (result i32)
    (local $b i32) (local $i i32) (local $n i32)
    (local.set $b (i32.load (i32.const 1032)))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $b)))
      ;; x[i][0] lives at 2048 + 16*i
      (if (f32.lt (f32.load offset=2048 (i32.shl (local.get $i) (i32.const 4))) (f32.const 0))
        (then
          (i32.store (i32.const 1044) (i32.const 1536))  ;; msg_ptr
          (i32.store (i32.const 1048) (i32.const 17))    ;; msg_len
          (return (i32.const 2))))                       ;; INVALID_INPUT
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next)))
    (i32.store (i32.const 1044) (i32.const 0))
    (i32.store (i32.const 1048) (i32.const 0))
    (local.set $n (i32.mul (local.get $b) (i32.const 16)))
    (memory.copy (i32.const 4096) (i32.const 2048) (local.get $n))
    (i32.store (i32.const 1080) (local.get $n))
    (i32.const 0)))
