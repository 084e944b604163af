;; recursion_bomb: wi_run calls a function that calls itself forever; 16 locals stay live across each
;; call so every frame is big. Expect a TRAP (call stack exhausted) quickly, at the 512 KiB wasm stack
;; limit, without crashing the host process.
(module
  (import "env" "memory" (memory 1))
  ;; control block at 1024, input buffer at 2048 (8*16 bytes), output buffer at 4096
  (data (i32.const 1024) "WCB1\01\00\00\00\00\00\00\00\01\00\00\00\01\00\00\00")
  (data (i32.const 1056) "\00\08\00\00\80\00\00\00")  ;; input slot: ptr 2048, capacity 128
  (data (i32.const 1072) "\00\10\00\00\80\00\00\00")  ;; output slot: ptr 4096, capacity 128
  (func (export "wi_control") (result i32) (i32.const 1024))
  (func $deep (param $d i32) (result i64)
    (local $a i64) (local $b i64) (local $c i64) (local $e i64)
    (local $f i64) (local $g i64) (local $h i64) (local $i i64)
    (local $p f64) (local $q f64) (local $r f64) (local $s f64)
    (local $t f64) (local $u f64) (local $v f64) (local $w f64)
    (local.set $a (i64.extend_i32_u (local.get $d)))
    (local.set $b (i64.mul (local.get $a) (i64.const 3)))
    (local.set $c (i64.xor (local.get $b) (i64.const 0x5555)))
    (local.set $e (i64.add (local.get $c) (local.get $a)))
    (local.set $f (i64.rotl (local.get $e) (i64.const 7)))
    (local.set $g (i64.sub (local.get $f) (local.get $b)))
    (local.set $h (i64.mul (local.get $g) (local.get $c)))
    (local.set $i (i64.or (local.get $h) (local.get $e)))
    (local.set $p (f64.convert_i64_u (local.get $a)))
    (local.set $q (f64.mul (local.get $p) (f64.const 1.5)))
    (local.set $r (f64.add (local.get $q) (local.get $p)))
    (local.set $s (f64.sqrt (local.get $r)))
    (local.set $t (f64.sub (local.get $s) (local.get $q)))
    (local.set $u (f64.mul (local.get $t) (local.get $r)))
    (local.set $v (f64.add (local.get $u) (local.get $s)))
    (local.set $w (f64.div (local.get $v) (f64.const 3)))
    ;; recurse, then use every local so they all must survive the call (spilled to the frame)
    (i64.add
      (call $deep (i32.add (local.get $d) (i32.const 1)))
      (i64.add
        (i64.add (i64.add (local.get $a) (local.get $b)) (i64.add (local.get $c) (local.get $e)))
        (i64.add
          (i64.add (i64.add (local.get $f) (local.get $g)) (i64.add (local.get $h) (local.get $i)))
          (i64.trunc_sat_f64_s
            (f64.add
              (f64.add (f64.add (local.get $p) (local.get $q)) (f64.add (local.get $r) (local.get $s)))
              (f64.add (f64.add (local.get $t) (local.get $u)) (f64.add (local.get $v) (local.get $w)))))))))
  (func (export "wi_run") (result i32)
    (drop (call $deep (i32.const 0)))
    (i32.const 0)))
