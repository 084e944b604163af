;; tvm-standalone hostile: from its second call, run loops forever. Expected: call, TIMEOUT.
(module
  (memory (export "memory") 1)
  (global $calls (mut i32) (i32.const 0))
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
    loop $forever
      br $forever
    end
    i32.const 0))
