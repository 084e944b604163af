;; multi_io: six inputs and six outputs, one of every dtype, up to 16 samples.
;;   slot  name      dtype shape  sample bytes  buffer  capacity (16 samples)
;;   in 0  a         f32   2      8             2048    128
;;   in 1  b         i32   3      12            2304    192
;;   in 2  c         u8    5      5             2560    80
;;   in 3  d         i8    1      1             2816    16
;;   in 4  e         f64   1      8             3072    128
;;   in 5  g         i64   1      8             3328    128
;;   out 0 sum       f32   1      4             4096    64    a[0] + a[1]
;;   out 1 b2        i32   3      12            4352    192   b * 2 (wrapping)
;;   out 2 c_inv     u8    5      5             4608    80    255 - c
;;   out 3 d_neg     i8    1      1             4864    16    -d (wrapping: -(-128) = -128)
;;   out 4 e_half    f64   1      8             5120    128   e / 2
;;   out 5 g_plus1   i64   1      8             5376    128   g + 1 (wrapping)
;; Control block at 1024: 32-byte header + 12 slots of 16 bytes (1024..1248).
;; Slot s lives at 1056 + 16*s; its length field at 1064 + 16*s.
(module
  (import "env" "memory" (memory 1))
  ;; header: magic "WCB1", abi 1, batch 0, n_inputs 6, n_outputs 6, msg_ptr 0, msg_len 0, reserved 0
  (data (i32.const 1024) "WCB1\01\00\00\00\00\00\00\00\06\00\00\00\06\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00")
  ;; input slots (ptr, capacity, length 0, reserved 0)
  (data (i32.const 1056) "\00\08\00\00\80\00\00\00")  ;; a: ptr 2048, capacity 128
  (data (i32.const 1072) "\00\09\00\00\c0\00\00\00")  ;; b: ptr 2304, capacity 192
  (data (i32.const 1088) "\00\0a\00\00\50\00\00\00")  ;; c: ptr 2560, capacity 80
  (data (i32.const 1104) "\00\0b\00\00\10\00\00\00")  ;; d: ptr 2816, capacity 16
  (data (i32.const 1120) "\00\0c\00\00\80\00\00\00")  ;; e: ptr 3072, capacity 128
  (data (i32.const 1136) "\00\0d\00\00\80\00\00\00")  ;; g: ptr 3328, capacity 128
  ;; output slots
  (data (i32.const 1152) "\00\10\00\00\40\00\00\00")  ;; sum:     ptr 4096, capacity 64
  (data (i32.const 1168) "\00\11\00\00\c0\00\00\00")  ;; b2:      ptr 4352, capacity 192
  (data (i32.const 1184) "\00\12\00\00\50\00\00\00")  ;; c_inv:   ptr 4608, capacity 80
  (data (i32.const 1200) "\00\13\00\00\10\00\00\00")  ;; d_neg:   ptr 4864, capacity 16
  (data (i32.const 1216) "\00\14\00\00\80\00\00\00")  ;; e_half:  ptr 5120, capacity 128
  (data (i32.const 1232) "\00\15\00\00\80\00\00\00")  ;; g_plus1: ptr 5376, capacity 128

  (func (export "wi_control") (result i32) (i32.const 1024))

  (func (export "wi_run") (result i32)
    (local $b i32)  ;; batch
    (local $n i32)  ;; element count of the tensor being processed
    (local $k i32)  ;; element index
    (local.set $b (i32.load (i32.const 1032)))
    ;; the host never sends batch outside 1..max_batch; a careful module checks anyway
    (if (i32.or (i32.eqz (local.get $b)) (i32.gt_u (local.get $b) (i32.const 16)))
      (then (return (i32.const 1))))  ;; INVALID_BATCH

    ;; sum[k] = a[k][0] + a[k][1]        (k < batch)
    (local.set $k (i32.const 0))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $k) (local.get $b)))
      (f32.store offset=4096 (i32.shl (local.get $k) (i32.const 2))
        (f32.add
          (f32.load offset=2048 (i32.shl (local.get $k) (i32.const 3)))
          (f32.load offset=2052 (i32.shl (local.get $k) (i32.const 3)))))
      (local.set $k (i32.add (local.get $k) (i32.const 1)))
      (br $next)))
    (i32.store (i32.const 1160) (i32.mul (local.get $b) (i32.const 4)))

    ;; b2[k] = b[k] * 2                  (k < batch*3)
    (local.set $n (i32.mul (local.get $b) (i32.const 3)))
    (local.set $k (i32.const 0))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $k) (local.get $n)))
      (i32.store offset=4352 (i32.shl (local.get $k) (i32.const 2))
        (i32.mul (i32.load offset=2304 (i32.shl (local.get $k) (i32.const 2))) (i32.const 2)))
      (local.set $k (i32.add (local.get $k) (i32.const 1)))
      (br $next)))
    (i32.store (i32.const 1176) (i32.mul (local.get $b) (i32.const 12)))

    ;; c_inv[k] = 255 - c[k]             (k < batch*5)
    (local.set $n (i32.mul (local.get $b) (i32.const 5)))
    (local.set $k (i32.const 0))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $k) (local.get $n)))
      (i32.store8 offset=4608 (local.get $k)
        (i32.sub (i32.const 255) (i32.load8_u offset=2560 (local.get $k))))
      (local.set $k (i32.add (local.get $k) (i32.const 1)))
      (br $next)))
    (i32.store (i32.const 1192) (i32.mul (local.get $b) (i32.const 5)))

    ;; d_neg[k] = -d[k], wrapping        (k < batch)
    (local.set $k (i32.const 0))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $k) (local.get $b)))
      (i32.store8 offset=4864 (local.get $k)
        (i32.sub (i32.const 0) (i32.load8_s offset=2816 (local.get $k))))
      (local.set $k (i32.add (local.get $k) (i32.const 1)))
      (br $next)))
    (i32.store (i32.const 1208) (local.get $b))

    ;; e_half[k] = e[k] / 2              (k < batch)
    (local.set $k (i32.const 0))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $k) (local.get $b)))
      (f64.store offset=5120 (i32.shl (local.get $k) (i32.const 3))
        (f64.div (f64.load offset=3072 (i32.shl (local.get $k) (i32.const 3))) (f64.const 2)))
      (local.set $k (i32.add (local.get $k) (i32.const 1)))
      (br $next)))
    (i32.store (i32.const 1224) (i32.mul (local.get $b) (i32.const 8)))

    ;; g_plus1[k] = g[k] + 1, wrapping   (k < batch)
    (local.set $k (i32.const 0))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $k) (local.get $b)))
      (i64.store offset=5376 (i32.shl (local.get $k) (i32.const 3))
        (i64.add (i64.load offset=3328 (i32.shl (local.get $k) (i32.const 3))) (i64.const 1)))
      (local.set $k (i32.add (local.get $k) (i32.const 1)))
      (br $next)))
    (i32.store (i32.const 1240) (i32.mul (local.get $b) (i32.const 8)))

    (i32.const 0)))
