;; grow_too_much: imports env.memory min 1 with no maximum; wi_run asks memory.grow for 65536 pages (4 GiB), far
;; more than the host's cap leaves, gets -1 and executes unreachable, as C's abort() after a failed malloc would.
;; The memory stays at 1 page, below the cap.
;; Expect: call: TRAP (unreachable) whose message says how much memory the module had and may grow to.
(module
  (import "env" "memory" (memory 1))
  ;; control block at 1024, input buffer at 2048 (8*16 bytes), output buffer at 4096
  (data (i32.const 1024) "WCB1\01\00\00\00\00\00\00\00\01\00\00\00\01\00\00\00")
  (data (i32.const 1056) "\00\08\00\00\80\00\00\00")  ;; input slot: ptr 2048, capacity 128
  (data (i32.const 1072) "\00\10\00\00\80\00\00\00")  ;; output slot: ptr 4096, capacity 128
  (func (export "wi_control") (result i32) (i32.const 1024))
  (func (export "wi_run") (result i32)
    (if (i32.eq (memory.grow (i32.const 65536)) (i32.const -1)) (then unreachable))
    (i32.const 0)))
