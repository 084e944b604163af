;; invalid_batch: metadata max_batch 8, but wi_run returns 1 (INVALID_BATCH) for every batch: the host only sends
;; batches of 1..max_batch, so the module broke the promise of its metadata.
;; Expect: call: PROTOCOL, "status 1 (INVALID_BATCH) for a batch of 1, within the 1..8 its metadata accepts".
(module
  (import "env" "memory" (memory 1))
  ;; control block at 1024, input buffer at 2048 (8*16 bytes), output buffer at 4096
  (data (i32.const 1024) "WCB1\01\00\00\00\00\00\00\00\01\00\00\00\01\00\00\00")
  (data (i32.const 1056) "\00\08\00\00\80\00\00\00")  ;; input slot: ptr 2048, capacity 128
  (data (i32.const 1072) "\00\10\00\00\80\00\00\00")  ;; output slot: ptr 4096, capacity 128
  (func (export "wi_control") (result i32) (i32.const 1024))
  (func (export "wi_run") (result i32)
    (i32.const 1)))
