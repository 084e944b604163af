;; bad_pointer_wrap (extra): identity whose input slot is ptr 0xFFFFFFC0, capacity 128: ptr + capacity
;; wraps around to 0x40 in 32-bit arithmetic, so a bounds check done in (u)int32 wrongly passes.
;; Expect a refusal after instantiation: input x buffer outside linear memory.
(module
  (import "env" "memory" (memory 1))
  (data (i32.const 1024) "WCB1\01\00\00\00\00\00\00\00\01\00\00\00\01\00\00\00")
  (data (i32.const 1056) "\c0\ff\ff\ff\80\00\00\00")  ;; input slot: ptr 0xFFFFFFC0, capacity 128
  (data (i32.const 1072) "\00\10\00\00\80\00\00\00")  ;; output slot: ptr 4096, capacity 128
  (func (export "wi_control") (result i32) (i32.const 1024))
  (func (export "wi_run") (result i32)
    ;; output.length = input.length; copy bytes
    (i32.store (i32.const 1080) (i32.load (i32.const 1064)))
    (memory.copy (i32.const 4096) (i32.const 2048) (i32.load (i32.const 1064)))
    (i32.const 0)))
