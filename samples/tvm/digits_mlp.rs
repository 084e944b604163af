//! digits-mlp as a TVM `apps/wasm-standalone` module ("the seed's contract", docs/tvm-standalone.md).
//!
//! Built by samples/tvm/build.sh with Debian's rustc for wasm32-wasi as a cdylib, std only (no crates). It has
//! the shape of the seed's `wasm_graph.wasm`:
//!
//! - exports `memory` (no maximum) and `run(wasm_addr: i32, in_size: i32) -> i32`;
//! - the host writes one input tensor as JSON at `wasm_addr`; `run` writes the output JSON back at the same
//!   address and returns its length, or 0 on failure; malformed JSON or `"strides": null` panics (a trap),
//!   exactly as the seed's `serde_json::from_slice(..).unwrap()` and `strides.unwrap()` did;
//! - tensor JSON: `{"dtype":"FP32","shape":[1,64],"strides":[64,1],"data":[0,0,128,63,...]}`, `data` the raw
//!   little-endian bytes;
//! - the first call parses the embedded parameters (weights.h of the ABI v1 sample, the same trained weights),
//!   as the seed's first call loaded its embedded graph and params.
//!
//! The arithmetic is the ABI v1 module's, in the same order (x = pixels * 1/16; dense 64->128 ReLU; dense
//! 128->10; each output accumulated as y = y + x*w over the inputs in order, no FMA), so the logits are equal
//! bit for bit.

use std::collections::HashMap;
use std::sync::Once;

const WEIGHTS_H: &str = include_str!("../models/digits-mlp/weights.h");
const NIN: usize = 64;
const NHID: usize = 128;
const NCLASS: usize = 10;

/// Parameters by name, as the seed's graph executor held them (a std HashMap: this is what makes a std-only
/// module import `random_get`, for the map's hash keys).
struct Params {
    in_scale: f32,
    by_name: HashMap<&'static str, Vec<f32>>,
}

impl Params {
    fn get(&self, name: &str) -> &[f32] {
        self.by_name.get(name).expect("parameter missing")
    }
}

static LOAD: Once = Once::new();
static mut PARAMS: Option<Params> = None;

fn params() -> &'static Params {
    LOAD.call_once(|| {
        let mut by_name = HashMap::new();
        for (name, len) in [("fc1_w", NIN * NHID), ("fc1_b", NHID), ("fc2_w", NHID * NCLASS), ("fc2_b", NCLASS)] {
            by_name.insert(name, parse_array(name, len));
        }
        let p = Params { in_scale: parse_define("IN_SCALE"), by_name };
        unsafe { PARAMS = Some(p) };
    });
    unsafe { PARAMS.as_ref().unwrap() }
}

fn parse_f32(token: &str) -> f32 {
    let t = token.trim().trim_end_matches('f');
    t.parse::<f32>().unwrap_or_else(|_| panic!("weights.h: '{}' is not a float", t))
}

fn parse_define(name: &str) -> f32 {
    let key = format!("#define {} (", name);
    let start = WEIGHTS_H.find(&key).expect("weights.h: define missing") + key.len();
    let end = start + WEIGHTS_H[start..].find(')').expect("weights.h: ')' missing");
    parse_f32(&WEIGHTS_H[start..end])
}

fn parse_array(name: &str, len: usize) -> Vec<f32> {
    let key = format!(" {}[{}] = {{", name, len);
    let start = WEIGHTS_H.find(&key).expect("weights.h: array missing") + key.len();
    let end = start + WEIGHTS_H[start..].find('}').expect("weights.h: '}' missing");
    let v: Vec<f32> = WEIGHTS_H[start..end]
        .split(',')
        .filter(|s| !s.trim().is_empty())
        .map(parse_f32)
        .collect();
    assert_eq!(v.len(), len, "weights.h: {} has {} values", name, v.len());
    v
}

/// y[b][o] = bias[o] + sum_k x[k] * w[k][o], accumulated in k order as the ABI v1 kernels do.
fn dense(y: &mut [f32], x: &[f32], w: &[f32], bias: &[f32], n_out: usize, relu: bool) {
    y.copy_from_slice(bias);
    for (k, &xv) in x.iter().enumerate() {
        let wr = &w[k * n_out..(k + 1) * n_out];
        for o in 0..n_out {
            y[o] = y[o] + xv * wr[o];
        }
    }
    if relu {
        for v in y.iter_mut() {
            if *v < 0.0 {
                *v = 0.0;
            }
        }
    }
}

// ---------------------------------------------------------------- the seed's tensor JSON

struct Tensor {
    dtype: String,
    shape: Vec<i64>,
    strides: Option<Vec<i64>>,
    data: Vec<u8>,
}

struct Json<'a> {
    b: &'a [u8],
    pos: usize,
}

impl<'a> Json<'a> {
    fn fail(&self, what: &str) -> ! {
        panic!("data deserialize failed: {} at byte {}", what, self.pos)
    }
    fn ws(&mut self) {
        while self.pos < self.b.len() && matches!(self.b[self.pos], b' ' | b'\t' | b'\n' | b'\r') {
            self.pos += 1;
        }
    }
    fn eat(&mut self, c: u8) -> bool {
        self.ws();
        if self.pos < self.b.len() && self.b[self.pos] == c {
            self.pos += 1;
            true
        } else {
            false
        }
    }
    fn expect(&mut self, c: u8) {
        if !self.eat(c) {
            self.fail(&format!("expected '{}'", c as char));
        }
    }
    fn string(&mut self) -> String {
        self.expect(b'"');
        let start = self.pos;
        while self.pos < self.b.len() && self.b[self.pos] != b'"' {
            if self.b[self.pos] == b'\\' {
                self.fail("escapes are not supported");
            }
            self.pos += 1;
        }
        if self.pos >= self.b.len() {
            self.fail("unterminated string");
        }
        let s = String::from_utf8(self.b[start..self.pos].to_vec()).unwrap_or_else(|_| self.fail("not UTF-8"));
        self.pos += 1;
        s
    }
    fn int(&mut self) -> i64 {
        self.ws();
        let neg = self.eat(b'-');
        let start = self.pos;
        let mut v: i64 = 0;
        while self.pos < self.b.len() && self.b[self.pos].is_ascii_digit() {
            v = v
                .checked_mul(10)
                .and_then(|v| v.checked_add((self.b[self.pos] - b'0') as i64))
                .unwrap_or_else(|| self.fail("integer overflow"));
            self.pos += 1;
        }
        if self.pos == start {
            self.fail("expected an integer");
        }
        if neg {
            -v
        } else {
            v
        }
    }
    fn ints(&mut self) -> Vec<i64> {
        self.expect(b'[');
        let mut v = Vec::new();
        if self.eat(b']') {
            return v;
        }
        loop {
            v.push(self.int());
            if self.eat(b']') {
                return v;
            }
            self.expect(b',');
        }
    }
    fn null(&mut self) -> bool {
        self.ws();
        if self.b[self.pos..].starts_with(b"null") {
            self.pos += 4;
            true
        } else {
            false
        }
    }
    fn tensor(&mut self) -> Tensor {
        let (mut dtype, mut shape, mut strides, mut data) = (None, None, None, None);
        self.expect(b'{');
        loop {
            let key = self.string();
            self.expect(b':');
            match key.as_str() {
                "dtype" => dtype = Some(self.string()),
                "shape" => shape = Some(self.ints()),
                "strides" => strides = Some(if self.null() { None } else { Some(self.ints()) }),
                "data" => {
                    let bytes = self.ints();
                    if bytes.iter().any(|&x| !(0..=255).contains(&x)) {
                        self.fail("data values must be 0..255");
                    }
                    data = Some(bytes.iter().map(|&x| x as u8).collect::<Vec<u8>>());
                }
                _ => self.fail("unknown field"),
            }
            if self.eat(b'}') {
                break;
            }
            self.expect(b',');
        }
        self.ws();
        if self.pos != self.b.len() {
            self.fail("trailing characters");
        }
        Tensor {
            dtype: dtype.unwrap_or_else(|| self.fail("missing field dtype")),
            shape: shape.unwrap_or_else(|| self.fail("missing field shape")),
            strides: strides.unwrap_or_else(|| self.fail("missing field strides")),
            data: data.unwrap_or_else(|| self.fail("missing field data")),
        }
    }
}

fn to_json(t: &Tensor) -> Vec<u8> {
    fn list(out: &mut String, v: &[i64]) {
        out.push('[');
        for (i, x) in v.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(&x.to_string());
        }
        out.push(']');
    }
    let mut s = String::with_capacity(64 + 4 * t.data.len());
    s.push_str("{\"dtype\":\"");
    s.push_str(&t.dtype);
    s.push_str("\",\"shape\":");
    list(&mut s, &t.shape);
    s.push_str(",\"strides\":");
    match &t.strides {
        Some(st) => list(&mut s, st),
        None => s.push_str("null"),
    }
    s.push_str(",\"data\":");
    list(&mut s, &t.data.iter().map(|&b| b as i64).collect::<Vec<i64>>());
    s.push('}');
    s.into_bytes()
}

// ---------------------------------------------------------------- the entry point

fn infer(input: &Tensor) -> Option<Tensor> {
    // The seed's graph executor checked what it was given; a wrong tensor is a failure (0), not a trap.
    let strides = input.strides.as_ref().expect("strides");
    if input.dtype != "FP32" || input.shape != [1, NIN as i64] || strides.as_slice() != [NIN as i64, 1]
        || input.data.len() != NIN * 4
    {
        return None;
    }
    let p = params();
    let mut x = [0f32; NIN];
    for (i, v) in x.iter_mut().enumerate() {
        let b = &input.data[4 * i..4 * i + 4];
        let pixel = f32::from_le_bytes([b[0], b[1], b[2], b[3]]);
        if !pixel.is_finite() {
            return None;
        }
        *v = pixel * p.in_scale;
    }
    let mut h = [0f32; NHID];
    dense(&mut h, &x, p.get("fc1_w"), p.get("fc1_b"), NHID, true);
    let mut logits = [0f32; NCLASS];
    dense(&mut logits, &h, p.get("fc2_w"), p.get("fc2_b"), NCLASS, false);
    let mut data = Vec::with_capacity(NCLASS * 4);
    for v in logits.iter() {
        data.extend_from_slice(&v.to_le_bytes());
    }
    Some(Tensor {
        dtype: "FP32".to_string(),
        shape: vec![1, NCLASS as i64],
        strides: Some(vec![NCLASS as i64, 1]),
        data,
    })
}

/// The seed's `run`: input JSON at `wasm_addr`, output JSON written back there; returns its length, 0 on failure.
#[no_mangle]
pub extern "C" fn run(wasm_addr: i32, in_size: i32) -> i32 {
    let input = {
        let bytes = unsafe { std::slice::from_raw_parts(wasm_addr as *const u8, in_size as usize) };
        Json { b: bytes, pos: 0 }.tensor()
    };
    match infer(&input) {
        Some(out) => {
            let json = to_json(&out);
            unsafe { std::ptr::copy_nonoverlapping(json.as_ptr(), wasm_addr as *mut u8, json.len()) };
            json.len() as i32
        }
        None => {
            println!("digits-mlp: rejected a {} tensor of shape {:?}", input.dtype, input.shape);
            0
        }
    }
}
