;; identity_wide: a 'version 3' of the 'identity' model whose input shape changed (x f32 8): a stream of 4-element
;; records cannot switch to it, so a hot swap to it must be refused.
(module
  (import "env" "memory" (memory 1))
  (data (i32.const 1024) "WCB1\01\00\00\00\00\00\00\00\01\00\00\00\01\00\00\00")
  (data (i32.const 1056) "\00\08\00\00\00\01\00\00")  ;; input slot: ptr 2048, capacity 256
  (data (i32.const 1072) "\00\10\00\00\00\01\00\00")  ;; output slot: ptr 4096, capacity 256
  (func (export "wi_control") (result i32) (i32.const 1024))
  (func (export "wi_run") (result i32)
    (i32.store (i32.const 1080) (i32.load (i32.const 1064)))
    (memory.copy (i32.const 4096) (i32.const 2048) (i32.load (i32.const 1064)))
    (i32.const 0)))
