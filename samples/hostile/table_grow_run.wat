;; table_grow_run: identity whose wi_run first grows an externref table (no declared maximum) by 64M entries
;; (2^26), 512 MiB of native memory per call that the memory cap does not see (measured before the fix:
;; +520 MB RSS per call under a 1 MiB memory cap).
;; Expect: load: refused, the table holds externref (reference types are not enabled) and has no maximum.
(module
  (import "env" "memory" (memory 1))
  (table $t 0 externref)
  ;; control block at 1024, input buffer at 2048 (8*16 bytes), output buffer at 4096
  (data (i32.const 1024) "WCB1\01\00\00\00\00\00\00\00\01\00\00\00\01\00\00\00")
  (data (i32.const 1056) "\00\08\00\00\80\00\00\00")  ;; input slot: ptr 2048, capacity 128
  (data (i32.const 1072) "\00\10\00\00\80\00\00\00")  ;; output slot: ptr 4096, capacity 128
  (func (export "wi_control") (result i32) (i32.const 1024))
  (func (export "wi_run") (result i32)
    (drop (table.grow $t (ref.null extern) (i32.const 0x4000000)))
    (i32.store (i32.const 1080) (i32.load (i32.const 1064)))
    (memory.copy (i32.const 4096) (i32.const 2048) (i32.load (i32.const 1064)))
    (i32.const 0)))
