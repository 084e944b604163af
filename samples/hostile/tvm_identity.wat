;; tvm-standalone (seed contract, docs/tvm-standalone.md) good fixture: run returns the input JSON as the output
;; (it is already at the address). Sidecar in the tests: input x f32 4, output y f32 4.
(module
  (memory (export "memory") 1)
  (func (export "run") (param $addr i32) (param $len i32) (result i32)
    local.get $len))
