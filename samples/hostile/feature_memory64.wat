;; wat2wasm-flags: --enable-memory64
;; feature_memory64: identity-shaped module whose exported memory is 64-bit (memory64 proposal), 1..4 pages.
;; Expect: load: refused, a 64-bit memory (ABI v1 is wasm32).
(module
  (memory (export "memory") i64 1 4)
  (data (i64.const 1024) "WCB1\01\00\00\00\00\00\00\00\01\00\00\00\01\00\00\00")
  (data (i64.const 1056) "\00\08\00\00\80\00\00\00")
  (data (i64.const 1072) "\00\10\00\00\80\00\00\00")
  (func (export "wi_control") (result i32) (i32.const 1024))
  (func (export "wi_run") (result i32)
    (i32.store (i64.const 1080) (i32.load (i64.const 1064)))
    (memory.copy (i64.const 4096) (i64.const 2048) (i64.extend_i32_u (i32.load (i64.const 1064))))
    (i32.const 0)))
