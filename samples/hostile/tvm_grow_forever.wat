;; tvm-standalone hostile: memory declared with NO maximum (as the seed's modules); from its second call, run grows
;; memory one page at a time until memory.grow returns -1, then stores past the end. Expected: memory stops at the
;; sandbox's cap (the maximum the adapter writes into the binary), call: OUT_OF_MEMORY.
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
    block $full
      loop $more
        i32.const 1
        memory.grow
        i32.const -1
        i32.eq
        br_if $full
        br $more
      end
    end
    memory.size
    i32.const 65536
    i32.mul
    i32.const 42
    i32.store
    i32.const 0))
