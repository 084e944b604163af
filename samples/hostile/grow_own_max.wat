;; grow_own_max: imports env.memory declaring min 1, max 2 pages; wi_run grows memory by 1 page (to 2, its own
;; maximum), then asks for 1 more, and executes unreachable when memory.grow returns -1 (a failed allocation).
;; Expect: call: TRAP (unreachable) whose message names the module's own declared maximum of 2 pages; not
;; OUT_OF_MEMORY at "the sandbox's cap" (the sandbox's cap is far above 2 pages).
(module
  (import "env" "memory" (memory 1 2))
  ;; control block at 1024, input buffer at 2048 (8*16 bytes), output buffer at 4096
  (data (i32.const 1024) "WCB1\01\00\00\00\00\00\00\00\01\00\00\00\01\00\00\00")
  (data (i32.const 1056) "\00\08\00\00\80\00\00\00")  ;; input slot: ptr 2048, capacity 128
  (data (i32.const 1072) "\00\10\00\00\80\00\00\00")  ;; output slot: ptr 4096, capacity 128
  (func (export "wi_control") (result i32) (i32.const 1024))
  (func (export "wi_run") (result i32)
    (drop (memory.grow (i32.const 1)))
    (if (i32.eq (memory.grow (i32.const 1)) (i32.const -1)) (then unreachable))
    (i32.const 0)))
