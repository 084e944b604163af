;; tvm-standalone hostile: from its second call, run writes a tensor JSON whose data (4 bytes) is smaller than its
;; shape [1,4] of FP32 says (16 bytes). Expected: call, PROTOCOL.
(module
  (memory (export "memory") 1)
  (global $calls (mut i32) (i32.const 0))
  (data (i32.const 16) "{\"dtype\":\"FP32\",\"shape\":[1,4],\"strides\":[4,1],\"data\":[0,0,128,63]}")
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
    i32.const 66
    memory.copy
    i32.const 66))
