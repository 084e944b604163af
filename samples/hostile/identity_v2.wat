;; identity_v2: version 2 of the 'identity' model for hot-swap tests. Same signature (x f32 4 -> y f32 4, up to 8
;; samples) but y = 2 * x, so a prediction shows which version produced it.
(module
  (import "env" "memory" (memory 1))
  (data (i32.const 1024) "WCB1\01\00\00\00\00\00\00\00\01\00\00\00\01\00\00\00")
  (data (i32.const 1056) "\00\08\00\00\80\00\00\00")  ;; input slot: ptr 2048, capacity 128
  (data (i32.const 1072) "\00\10\00\00\80\00\00\00")  ;; output slot: ptr 4096, capacity 128
  (func (export "wi_control") (result i32) (i32.const 1024))
  (func (export "wi_run") (result i32)
    (local $i i32)
    (local $n i32)
    (local.set $n (i32.load (i32.const 1064)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (f32.store (i32.add (i32.const 4096) (local.get $i))
          (f32.mul (f32.const 2) (f32.load (i32.add (i32.const 2048) (local.get $i)))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $next)))
    (i32.store (i32.const 1080) (local.get $n))
    (i32.const 0)))
