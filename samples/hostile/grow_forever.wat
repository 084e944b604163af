;; grow_forever: wi_run calls memory.grow(1) in a loop, filling each new page (so it is really committed),
;; until grow returns -1 (the host's memory cap), then stores 4 bytes past the end of memory: a trap.
;; The imported memory declares min 1 and NO maximum, so only the host's cap stops it.
;; Expect: memory stops at the cap (default 256 MiB = 4096 pages), then the call TRAPs
;; (out-of-bounds store); a host that watches grow failures may report OUT_OF_MEMORY instead.
(module
  (import "env" "memory" (memory 1))
  ;; control block at 1024, input buffer at 2048 (8*16 bytes), output buffer at 4096
  (data (i32.const 1024) "WCB1\01\00\00\00\00\00\00\00\01\00\00\00\01\00\00\00")
  (data (i32.const 1056) "\00\08\00\00\80\00\00\00")  ;; input slot: ptr 2048, capacity 128
  (data (i32.const 1072) "\00\10\00\00\80\00\00\00")  ;; output slot: ptr 4096, capacity 128
  (func (export "wi_control") (result i32) (i32.const 1024))
  (func (export "wi_run") (result i32)
    (local $old i32)
    (block $full
      (loop $grow
        (local.set $old (memory.grow (i32.const 1)))
        (br_if $full (i32.eq (local.get $old) (i32.const -1)))
        ;; touch every byte of the new page
        (memory.fill (i32.shl (local.get $old) (i32.const 16)) (i32.const 0xAB) (i32.const 65536))
        (br $grow)))
    ;; effective address = size*64KiB - 4 + 8 = 4 bytes past the end (also at 4 GiB: no i32 wrap-around)
    (i32.store offset=8 (i32.sub (i32.shl (memory.size) (i32.const 16)) (i32.const 4)) (i32.const 1))
    (i32.const 0)))
