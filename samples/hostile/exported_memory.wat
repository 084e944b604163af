;; exported_memory: identity (x f32 4 -> y f32 4, max_batch 8), but the module owns its linear memory
;; and exports it as "memory" with min 1 page and a declared maximum of 4 pages (allowed by the ABI).
(module
  (memory (export "memory") 1 4)
  ;; control block at 1024, input buffer at 2048 (8*16 bytes), output buffer at 4096
  (data (i32.const 1024) "WCB1\01\00\00\00\00\00\00\00\01\00\00\00\01\00\00\00")
  (data (i32.const 1056) "\00\08\00\00\80\00\00\00")  ;; input slot: ptr 2048, capacity 128
  (data (i32.const 1072) "\00\10\00\00\80\00\00\00")  ;; output slot: ptr 4096, capacity 128
  (func (export "wi_control") (result i32) (i32.const 1024))
  (func (export "wi_run") (result i32)
    (local $n i32)
    (local.set $n (i32.mul (i32.load (i32.const 1032)) (i32.const 16)))  ;; batch * 16 bytes
    (memory.copy (i32.const 4096) (i32.const 2048) (local.get $n))
    (i32.store (i32.const 1080) (local.get $n))                          ;; output.length
    (i32.const 0)))
