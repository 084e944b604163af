;; identity_hostile: a 'version 4' of the 'identity' model that loops forever in its start function: a hot swap to
;; it must be refused during validation while the old version keeps serving.
(module
  (import "env" "memory" (memory 1))
  (data (i32.const 1024) "WCB1\01\00\00\00\00\00\00\00\01\00\00\00\01\00\00\00")
  (data (i32.const 1056) "\00\08\00\00\80\00\00\00")
  (data (i32.const 1072) "\00\10\00\00\80\00\00\00")
  (func $spin (loop $forever (br $forever)))
  (start $spin)
  (func (export "wi_control") (result i32) (i32.const 1024))
  (func (export "wi_run") (result i32) (i32.const 0)))
