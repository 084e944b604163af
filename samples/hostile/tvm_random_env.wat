;; tvm-standalone good fixture for the WASI stubs: run asks environ_sizes_get (expects 0 variables, 0 bytes) and
;; random_get for 16 bytes, and writes them as the output tensor y u8 16... as a JSON INT8 tensor of shape [1,16]:
;; the host sees what random_get gave (seeded, the same in every instance). Returns 0 if the environment is not empty.
(module
  (import "wasi_snapshot_preview1" "random_get" (func $random_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_sizes_get" (func $environ_sizes_get (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 256) "{\"dtype\":\"INT8\",\"shape\":[1,16],\"strides\":[16,1],\"data\":[")
  (func $digit (param $p i32) (param $v i32) (result i32)
    ;; writes v (0..255) in decimal at p; returns the next position
    local.get $v
    i32.const 100
    i32.ge_u
    if
      local.get $p
      local.get $v
      i32.const 100
      i32.div_u
      i32.const 48
      i32.add
      i32.store8
      local.get $p
      i32.const 1
      i32.add
      local.set $p
    end
    local.get $v
    i32.const 10
    i32.ge_u
    if
      local.get $p
      local.get $v
      i32.const 10
      i32.div_u
      i32.const 10
      i32.rem_u
      i32.const 48
      i32.add
      i32.store8
      local.get $p
      i32.const 1
      i32.add
      local.set $p
    end
    local.get $p
    local.get $v
    i32.const 10
    i32.rem_u
    i32.const 48
    i32.add
    i32.store8
    local.get $p
    i32.const 1
    i32.add)
  (func (export "run") (param $addr i32) (param $len i32) (result i32)
    (local $p i32) (local $i i32)
    ;; environment: count at 128, size at 132, both must come back 0
    i32.const 128
    i32.const 77
    i32.store
    i32.const 132
    i32.const 77
    i32.store
    i32.const 128
    i32.const 132
    call $environ_sizes_get
    i32.const 128
    i32.load
    i32.or
    i32.const 132
    i32.load
    i32.or
    if
      i32.const 0
      return
    end
    i32.const 192
    i32.const 16
    call $random_get
    drop
    local.get $addr
    i32.const 256
    i32.const 56
    memory.copy
    local.get $addr
    i32.const 56
    i32.add
    local.set $p
    block $done
      loop $each
        local.get $i
        i32.const 16
        i32.eq
        br_if $done
        local.get $i
        if
          local.get $p
          i32.const 44
          i32.store8
          local.get $p
          i32.const 1
          i32.add
          local.set $p
        end
        local.get $p
        local.get $i
        i32.const 192
        i32.add
        i32.load8_u
        call $digit
        local.set $p
        local.get $i
        i32.const 1
        i32.add
        local.set $i
        br $each
      end
    end
    local.get $p
    i32.const 93
    i32.store8
    local.get $p
    i32.const 125
    i32.store8 offset=1
    local.get $p
    i32.const 2
    i32.add
    local.get $addr
    i32.sub))
