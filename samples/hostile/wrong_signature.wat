;; wrong_signature: identity whose wi_run takes an i32 parameter: (i32) -> i32 instead of () -> i32.
;; Expect a refusal before instantiation: wi_run has the wrong signature.
(module
  (import "env" "memory" (memory 1))
  ;; control block at 1024, input buffer at 2048 (8*16 bytes), output buffer at 4096
  (data (i32.const 1024) "WCB1\01\00\00\00\00\00\00\00\01\00\00\00\01\00\00\00")
  (data (i32.const 1056) "\00\08\00\00\80\00\00\00")  ;; input slot: ptr 2048, capacity 128
  (data (i32.const 1072) "\00\10\00\00\80\00\00\00")  ;; output slot: ptr 4096, capacity 128
  (func (export "wi_control") (result i32) (i32.const 1024))
  (func (export "wi_run") (param $batch i32) (result i32)
    (i32.store (i32.const 1080) (i32.mul (local.get $batch) (i32.const 16)))
    (memory.copy (i32.const 4096) (i32.const 2048) (i32.mul (local.get $batch) (i32.const 16)))
    (i32.const 0)))
