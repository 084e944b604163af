;; tvm-standalone hostile: from its second call, run writes 'not json!' at the address and returns 9.
;; Expected: call, PROTOCOL.
(module
  (memory (export "memory") 1)
  (global $calls (mut i32) (i32.const 0))
  (data (i32.const 16) "not json!")
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
    local.get $addr
    i32.const 16
    i32.const 9
    memory.copy
    i32.const 9))
