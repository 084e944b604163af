;; tvm-standalone hostile: from its second call, run prints 'tvm_zero: cannot run this' to stderr (fd_write, fd 2)
;; and returns 0, the seed's failure. Expected: call, MODEL_ERROR, the message carries what it printed.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (global $calls (mut i32) (i32.const 0))
  (data (i32.const 16) "tvm_zero: cannot run this\n")
  (func (export "run") (param $addr i32) (param $len i32) (result i32)
    ;; the first call (the adapter's warm-up at start-up) is an identity: the input JSON is the output
    global.get $calls
    i32.const 1
    i32.add
    global.set $calls
    global.get $calls
    i32.const 1
    i32.eq
    if
      local.get $len
      return
    end
    ;; iovec at 64: {ptr 16, len 26}; nwritten at 72
    i32.const 64
    i32.const 16
    i32.store
    i32.const 68
    i32.const 26
    i32.store
    i32.const 2
    i32.const 64
    i32.const 1
    i32.const 72
    call $fd_write
    drop
    i32.const 0))
