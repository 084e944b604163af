;; internal_error: wi_run sets msg_ptr/msg_len to "weights checksum mismatch" (25 bytes at 1536) and returns 3
;; (INTERNAL_ERROR): a failure the module reports within the ABI, not a violation of it.
;; Expect: call: MODEL_ERROR with the module's message; the instance is replaced.
(module
  (import "env" "memory" (memory 1))
  ;; control block at 1024, input buffer at 2048 (8*16 bytes), output buffer at 4096
  (data (i32.const 1024) "WCB1\01\00\00\00\00\00\00\00\01\00\00\00\01\00\00\00")
  (data (i32.const 1056) "\00\08\00\00\80\00\00\00")  ;; input slot: ptr 2048, capacity 128
  (data (i32.const 1072) "\00\10\00\00\80\00\00\00")  ;; output slot: ptr 4096, capacity 128
  (func (export "wi_control") (result i32) (i32.const 1024))
  (data (i32.const 1536) "weights checksum mismatch")
  (func (export "wi_run") (result i32)
    (i32.store (i32.const 1044) (i32.const 1536))  ;; msg_ptr
    (i32.store (i32.const 1048) (i32.const 25))    ;; msg_len
    (i32.const 3)))
