;; control_at_zero: identity whose control block is at address 0 (wasm has no null page: 0 is an ordinary
;; address). Input slot at 32, output slot at 48; buffers at 2048 and 4096 as everywhere else.
;; Expect: works, y == x (docs/abi.md section 4: address 0 is valid for the control block and the buffers).
(module
  (import "env" "memory" (memory 1))
  (data (i32.const 0) "WCB1\01\00\00\00\00\00\00\00\01\00\00\00\01\00\00\00")
  (data (i32.const 32) "\00\08\00\00\80\00\00\00")  ;; input slot: ptr 2048, capacity 128
  (data (i32.const 48) "\00\10\00\00\80\00\00\00")  ;; output slot: ptr 4096, capacity 128
  (func (export "wi_control") (result i32) (i32.const 0))
  (func (export "wi_run") (result i32)
    (i32.store (i32.const 56) (i32.load (i32.const 40)))
    (memory.copy (i32.const 4096) (i32.const 2048) (i32.load (i32.const 40)))
    (i32.const 0)))
