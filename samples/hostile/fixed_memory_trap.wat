;; fixed_memory_trap: identity-shaped module with its own memory of exactly 1 page (min = max = 1, exported),
;; whose wi_run executes unreachable. Its memory is always "at its maximum", but it never grew: the trap is
;; not an out-of-memory, and the module's maximum is not the sandbox's cap.
;; Expect: call: TRAP (unreachable), not OUT_OF_MEMORY.
(module
  (memory (export "memory") 1 1)
  ;; control block at 1024, input buffer at 2048 (8*16 bytes), output buffer at 4096
  (data (i32.const 1024) "WCB1\01\00\00\00\00\00\00\00\01\00\00\00\01\00\00\00")
  (data (i32.const 1056) "\00\08\00\00\80\00\00\00")  ;; input slot: ptr 2048, capacity 128
  (data (i32.const 1072) "\00\10\00\00\80\00\00\00")  ;; output slot: ptr 4096, capacity 128
  (func (export "wi_control") (result i32) (i32.const 1024))
  (func (export "wi_run") (result i32)
    unreachable))
