;; bad_message (extra): wi_run returns 3 (INTERNAL_ERROR) with msg_ptr 0xFFFFFFF0 and msg_len 0x7FFFFFFF.
;; Expect an INTERNAL_ERROR for the call whose message is dropped or marked unreadable; the host must not
;; read outside memory nor allocate 2 GiB for it (it reads at most 1024 bytes).
(module
  (import "env" "memory" (memory 1))
  ;; control block at 1024, input buffer at 2048 (8*16 bytes), output buffer at 4096
  (data (i32.const 1024) "WCB1\01\00\00\00\00\00\00\00\01\00\00\00\01\00\00\00")
  (data (i32.const 1056) "\00\08\00\00\80\00\00\00")  ;; input slot: ptr 2048, capacity 128
  (data (i32.const 1072) "\00\10\00\00\80\00\00\00")  ;; output slot: ptr 4096, capacity 128
  (func (export "wi_control") (result i32) (i32.const 1024))
  (func (export "wi_run") (result i32)
    (i32.store (i32.const 1044) (i32.const 0xFFFFFFF0))  ;; msg_ptr
    (i32.store (i32.const 1048) (i32.const 0x7FFFFFFF))  ;; msg_len
    (i32.const 3)))
