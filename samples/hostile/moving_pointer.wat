;; moving_pointer (extra): a valid control block at start-up, but wi_run moves the output buffer to
;; 0xFFFFFF00, sets a plausible length (batch*16) and returns 0. The host must re-check the slot after the
;; call, before reading the output. Expect an error for the call (output y buffer outside linear memory),
;; never a host crash or a read outside memory.
(module
  (import "env" "memory" (memory 1))
  ;; control block at 1024, input buffer at 2048 (8*16 bytes), output buffer at 4096
  (data (i32.const 1024) "WCB1\01\00\00\00\00\00\00\00\01\00\00\00\01\00\00\00")
  (data (i32.const 1056) "\00\08\00\00\80\00\00\00")  ;; input slot: ptr 2048, capacity 128
  (data (i32.const 1072) "\00\10\00\00\80\00\00\00")  ;; output slot: ptr 4096, capacity 128
  (func (export "wi_control") (result i32) (i32.const 1024))
  (func (export "wi_run") (result i32)
    (i32.store (i32.const 1072) (i32.const 0xFFFFFF00))                             ;; output ptr
    (i32.store (i32.const 1080) (i32.mul (i32.load (i32.const 1032)) (i32.const 16)))  ;; output length
    (i32.const 0)))
