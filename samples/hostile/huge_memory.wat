;; huge_memory: identity whose imported env.memory has a minimum of 20000 pages (20000*64 KiB = 1250 MiB),
;; above the host's default cap of 256 MiB (4096 pages). Expect a refusal before instantiation: memory
;; minimum above the cap (nothing is allocated).
(module
  (import "env" "memory" (memory 20000))
  ;; control block at 1024, input buffer at 2048 (8*16 bytes), output buffer at 4096
  (data (i32.const 1024) "WCB1\01\00\00\00\00\00\00\00\01\00\00\00\01\00\00\00")
  (data (i32.const 1056) "\00\08\00\00\80\00\00\00")  ;; input slot: ptr 2048, capacity 128
  (data (i32.const 1072) "\00\10\00\00\80\00\00\00")  ;; output slot: ptr 4096, capacity 128
  (func (export "wi_control") (result i32) (i32.const 1024))
  (func (export "wi_run") (result i32)
    ;; output.length = input.length; copy bytes
    (i32.store (i32.const 1080) (i32.load (i32.const 1064)))
    (memory.copy (i32.const 4096) (i32.const 2048) (i32.load (i32.const 1064)))
    (i32.const 0)))
