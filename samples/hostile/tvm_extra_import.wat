;; tvm-standalone hostile: tvm_identity that also imports wasi_snapshot_preview1.path_open (a file system call).
;; Expected: refused at load, naming the import.
(module
  (import "wasi_snapshot_preview1" "path_open"
    (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "run") (param $addr i32) (param $len i32) (result i32)
    local.get $len))
