;; wasi_import: a valid identity module that also imports wasi_snapshot_preview1.fd_write and calls it in
;; wi_run. Expect a refusal before instantiation naming the import wasi_snapshot_preview1.fd_write.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "env" "memory" (memory 1))
  ;; control block at 1024, input buffer at 2048 (8*16 bytes), output buffer at 4096
  (data (i32.const 1024) "WCB1\01\00\00\00\00\00\00\00\01\00\00\00\01\00\00\00")
  (data (i32.const 1056) "\00\08\00\00\80\00\00\00")  ;; input slot: ptr 2048, capacity 128
  (data (i32.const 1072) "\00\10\00\00\80\00\00\00")  ;; output slot: ptr 4096, capacity 128
  (func (export "wi_control") (result i32) (i32.const 1024))
  (data (i32.const 1536) "\00\07\00\00\06\00\00\00")  ;; iovec {buf 1792, len 6}
  (data (i32.const 1792) "hello\0a")
  (func (export "wi_run") (result i32)
    (drop (call $fd_write (i32.const 1) (i32.const 1536) (i32.const 1) (i32.const 1552)))
    ;; output.length = input.length; copy bytes
    (i32.store (i32.const 1080) (i32.load (i32.const 1064)))
    (memory.copy (i32.const 4096) (i32.const 2048) (i32.load (i32.const 1064)))
    (i32.const 0)))
