;; tvm-standalone hostile: its start function calls proc_exit(3). Expected: start-up, TRAP naming proc_exit(3).
(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (func $start
    i32.const 3
    call $proc_exit)
  (start $start)
  (func (export "run") (param $addr i32) (param $len i32) (result i32)
    local.get $len))
