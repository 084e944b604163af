// Optional developer check of the fixtures, independent of the Java host: a tiny ABI v1 host written
// against Node's WebAssembly API (V8, not Wasmtime) that loads every fixture of
// operator/src/test/resources/wasm/ built by build.sh and checks that it behaves as README.md says.
//
//   node samples/hostile/smoke.mjs        (Node >= 18; no packages)
//
// Each fixture runs in its own worker thread, so the looping ones can be stopped by a deadline.
import { Worker, isMainThread, parentPort, workerData } from "node:worker_threads";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const DIR = path.join(HERE, "..", "..", "operator", "src", "test", "resources", "wasm");
const CAP_PAGES = 4096; // the host's default memory cap, 256 MiB
const DTYPES = { f32: 4, f64: 8, i32: 4, i64: 8, i8: 1, u8: 1 };

class Refused extends Error {
  constructor(stage, msg) { super(msg); this.stage = stage; }
}

// ---------------------------------------------------------------- the mini host (runs in a worker)
function leb(buf, pos) {
  let result = 0, shift = 0, b;
  do { b = buf[pos++]; result += (b & 0x7f) * 2 ** shift; shift += 7; } while (b & 0x80);
  return [result, pos];
}

function limits(buf, pos) {
  const flags = buf[pos++];
  let min, max = null;
  [min, pos] = leb(buf, pos);
  if (flags & 1) [max, pos] = leb(buf, pos);
  return [{ flags, min, max }, pos];
}

// Memory declarations of a module, parsed from its import (2), memory (5) and export (7) sections.
function memories(buf) {
  const out = { imported: [], defined: [], exported: [] };
  let pos = 8;
  while (pos < buf.length) {
    const id = buf[pos];
    let size;
    [size, pos] = leb(buf, pos + 1);
    const end = pos + size;
    if (id === 2 || id === 5 || id === 7) {
      let n, p;
      [n, p] = leb(buf, pos);
      for (let i = 0; i < n; i++) {
        if (id === 5) { let l; [l, p] = limits(buf, p); out.defined.push(l); continue; }
        let len;
        const names = [];
        for (let k = 0; k < (id === 2 ? 2 : 1); k++) {
          [len, p] = leb(buf, p);
          names.push(Buffer.from(buf.subarray(p, p + len)).toString("utf8"));
          p += len;
        }
        const kind = buf[p++];
        if (id === 7) { let idx; [idx, p] = leb(buf, p); if (kind === 2) out.exported.push(names[0]); continue; }
        if (kind === 0) { [, p] = leb(buf, p); }
        else if (kind === 1) { p++; [, p] = limits(buf, p); }
        else if (kind === 2) { let l; [l, p] = limits(buf, p); out.imported.push({ name: names.join("."), ...l }); }
        else if (kind === 3) { p += 2; }
      }
    }
    pos = end;
  }
  return out;
}

function parseMeta(text) {
  const m = { inputs: [], outputs: [] };
  const seen = {};
  for (const [i, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    const mm = /^([a-z_]+):\s*(.*)$/.exec(line);
    if (!mm) throw new Refused("load", `metadata line ${i + 1}: not 'key: value'`);
    const [, key, value] = mm;
    seen[key] = (seen[key] || 0) + 1;
    if (key === "input" || key === "output") {
      const [name, dtype, shape] = value.split(/\s+/);
      if (!(dtype in DTYPES)) throw new Refused("load", `metadata line ${i + 1}: unknown dtype '${dtype}'`);
      const dims = shape.split("x").map(Number);
      const elems = dims.reduce((a, b) => a * b, 1);
      m[key + "s"].push({ name, dtype, elems, sampleBytes: elems * DTYPES[dtype] });
    } else if (key === "max_batch") m.maxBatch = Number(value);
    else if (!["abi", "name", "version", "kind", "label", "description"].includes(key))
      throw new Refused("load", `metadata line ${i + 1}: unknown key '${key}'`);
  }
  for (const k of ["abi", "name", "version", "max_batch"])
    if (seen[k] !== 1) throw new Refused("load", `metadata: '${k}' must appear exactly once`);
  return m;
}

function load(bytes) {
  let module;
  try { module = new WebAssembly.Module(bytes); }
  catch (e) { throw new Refused("load", `not a valid WebAssembly module: ${e.message}`); }
  const sections = WebAssembly.Module.customSections(module, "wasm-inference.v1");
  if (sections.length !== 1) throw new Refused("load", `${sections.length} 'wasm-inference.v1' sections`);
  const meta = parseMeta(new TextDecoder().decode(sections[0]));
  for (const imp of WebAssembly.Module.imports(module))
    if (!(imp.module === "env" && imp.name === "memory" && imp.kind === "memory"))
      throw new Refused("load", `unsupported import ${imp.module}.${imp.name} (${imp.kind})`);
  const mems = memories(bytes);
  if (mems.imported.length + mems.defined.length !== 1) throw new Refused("load", "not exactly one memory");
  const decl = mems.imported[0] || mems.defined[0];
  if (decl.flags & ~1) throw new Refused("load", "shared or 64-bit memory");
  if (mems.defined.length) {
    if (!mems.exported.includes("memory")) throw new Refused("load", "defined memory is not exported as 'memory'");
    if (decl.max === null) throw new Refused("load", "exported memory declares no maximum");
    if (decl.max > CAP_PAGES) throw new Refused("load", `exported memory maximum ${decl.max} pages above the cap`);
  }
  if (decl.min > CAP_PAGES) throw new Refused("load", `memory minimum ${decl.min} pages above the cap ${CAP_PAGES}`);
  const exps = Object.fromEntries(WebAssembly.Module.exports(module).map((e) => [e.name, e.kind]));
  for (const f of ["wi_control", "wi_run"])
    if (exps[f] !== "function") throw new Refused("load", `missing export ${f}`);
  return { module, meta, decl, imported: mems.imported.length === 1 };
}

function start({ module, meta, decl, imported }) {
  const imports = {};
  let memory;
  if (imported) {
    memory = new WebAssembly.Memory({ initial: decl.min, maximum: Math.min(decl.max ?? CAP_PAGES, CAP_PAGES) });
    imports.env = { memory };
  }
  const inst = new WebAssembly.Instance(module, imports);
  if (!imported) memory = inst.exports.memory;
  if (inst.exports._initialize) inst.exports._initialize();
  for (const f of ["wi_control", "wi_run"])
    if (inst.exports[f].length !== 0) throw new Refused("load", `${f} has the wrong signature (takes parameters)`);
  const cb = inst.exports.wi_control() >>> 0;
  const h = { inst, memory, meta, cb };
  const dv = view(h, cb, 32 + 16 * (meta.inputs.length + meta.outputs.length), "init", "control block");
  if (dv.getUint32(0, true) !== 0x31424357) throw new Refused("init", `bad control block magic 0x${dv.getUint32(0, true).toString(16)}`);
  if (dv.getUint32(4, true) !== 1) throw new Refused("init", "control block abi != 1");
  if (dv.getUint32(12, true) !== meta.inputs.length || dv.getUint32(16, true) !== meta.outputs.length)
    throw new Refused("init", `control block counts ${dv.getUint32(12, true)}/${dv.getUint32(16, true)} != metadata`);
  slots(h, "init");
  return h;
}

function view(h, ptr, len, stage, what) {
  if (ptr + len > h.memory.buffer.byteLength) // plain JS numbers: no 32-bit wrap-around
    throw new Refused(stage, `${what} [0x${ptr.toString(16)}, +${len}) outside linear memory`);
  return new DataView(h.memory.buffer, ptr, len);
}

function slots(h, stage) {
  const dv = view(h, h.cb, 32 + 16 * (h.meta.inputs.length + h.meta.outputs.length), stage, "control block");
  return [...h.meta.inputs, ...h.meta.outputs].map((t, i) => {
    const off = 32 + 16 * i, ptr = dv.getUint32(off, true), cap = dv.getUint32(off + 4, true);
    if (cap < h.meta.maxBatch * t.sampleBytes)
      throw new Refused(stage, `${t.name} capacity ${cap} < ${h.meta.maxBatch * t.sampleBytes} needed for max_batch`);
    view(h, ptr, cap, stage, `${t.name} buffer`);
    return { ...t, ptr, cap, lengthAt: h.cb + off + 8 };
  });
}

// Runs one batch: inputs is an array (one per input) of Uint8Array holding batch*sampleBytes bytes.
function run(h, batch, inputs) {
  const s = slots(h, "call");
  const mem = () => new DataView(h.memory.buffer);
  h.meta.inputs.forEach((t, i) => {
    new Uint8Array(h.memory.buffer, s[i].ptr, inputs[i].length).set(inputs[i]);
    mem().setUint32(s[i].lengthAt, inputs[i].length, true);
  });
  s.slice(h.meta.inputs.length).forEach((o) => mem().setUint32(o.lengthAt, 0, true));
  mem().setUint32(h.cb + 8, batch, true);
  let status;
  try { status = h.inst.exports.wi_run(); }
  catch (e) { return { trap: String(e.message || e) }; }
  if (status !== 0) {
    const ptr = mem().getUint32(h.cb + 20, true), len = Math.min(mem().getUint32(h.cb + 24, true), 1024);
    let msg = "";
    if (ptr && len) msg = ptr + len <= h.memory.buffer.byteLength
      ? new TextDecoder().decode(new Uint8Array(h.memory.buffer, ptr, len)) : "<message outside memory>";
    return { status, msg };
  }
  const after = slots(h, "call").slice(h.meta.inputs.length);
  const outputs = [];
  for (const o of after) {
    const len = mem().getUint32(o.lengthAt, true);
    if (len !== batch * o.sampleBytes) return { error: `output ${o.name} length ${len} != ${batch * o.sampleBytes}` };
    outputs.push(new Uint8Array(h.memory.buffer.slice(o.ptr, o.ptr + len)));
  }
  return { status: 0, outputs };
}

// ---------------------------------------------------------------- per-fixture scenarios
const f32bytes = (xs) => new Uint8Array(new Float32Array(xs).buffer);
const eqBytes = (a, b) => a.length === b.length && a.every((v, i) => v === b[i]);

function assert(cond, msg) { if (!cond) throw new Error("assertion failed: " + msg); }

function identityBatch(h, n) {
  const x = Array.from({ length: n * 4 }, (_, i) => i * 0.5 + 0.25); // no -1, no negatives
  const r = run(h, n, [f32bytes(x)]);
  assert(r.status === 0 && eqBytes(r.outputs[0], f32bytes(x)), `identity batch ${n}: ${JSON.stringify(r)}`);
}

const scenarios = {
  identity(h) { for (let n = 1; n <= 8; n++) identityBatch(h, n); return "ok: y == x, batch 1..8"; },
  exported_memory(h) { for (let n = 1; n <= 8; n++) identityBatch(h, n); return "ok: y == x, batch 1..8"; },
  multi_io(h) {
    for (const n of [1, 7, 16]) {
      const a = new Float32Array(n * 2).map((_, i) => i * 1.25 - 4);
      const b = new Int32Array(n * 3).map((_, i) => (i % 2 ? 0x7fffffff - i : -i * 1000));
      const c = new Uint8Array(n * 5).map((_, i) => (i * 37) & 255);
      const d = new Int8Array(n).map((_, i) => [-128, 127, 0, -1, 5][i % 5]);
      const e = new Float64Array(n).map((_, i) => i * 3.5 - 1e300);
      const g = new BigInt64Array(n).map((_, i) => (i === 0 ? 0x7fffffffffffffffn : BigInt(i) * -7n));
      const u8 = (t) => new Uint8Array(t.buffer);
      const r = run(h, n, [a, b, c, d, e, g].map(u8));
      assert(r.status === 0, JSON.stringify(r));
      const want = [
        Float32Array.from({ length: n }, (_, k) => a[2 * k] + a[2 * k + 1]),
        b.map((v) => v * 2), c.map((v) => 255 - v), d.map((v) => -v), e.map((v) => v / 2), g.map((v) => v + 1n),
      ].map(u8);
      want.forEach((w, i) => assert(eqBytes(r.outputs[i], w), `multi_io output ${i} batch ${n}`));
    }
    return "ok: all six outputs, batch 1, 7, 16";
  },
  poison(h) {
    identityBatch(h, 16);
    const x = Array.from({ length: 16 * 4 }, (_, i) => i);
    x[5 * 4] = -1;
    const r = run(h, 16, [f32bytes(x)]);
    assert(r.trap, "poison: expected a trap");
    return `ok: copies; traps on x[0] == -1 (${r.trap})`;
  },
  spin(h) {
    identityBatch(h, 16);
    const t0 = Date.now();
    run(h, 2, [f32bytes([20, 0, 0, 0, 20, 0, 0, 0])]);
    const ms = Date.now() - t0;
    parentPort.postMessage({ progress: `40 units took ${ms} ms` });
    run(h, 1, [f32bytes([1e6, 0, 0, 0])]); // never returns: the deadline stops it
    return "returned (unexpected)";
  },
  invalid_input(h) {
    identityBatch(h, 8);
    const r = run(h, 2, [f32bytes([1, 2, 3, 4, -0.5, 0, 0, 0])]);
    assert(r.status === 2 && r.msg === "x[0] must be >= 0", JSON.stringify(r));
    identityBatch(h, 3); // INVALID_INPUT keeps the instance usable
    return `ok: status 2 "${r.msg}"`;
  },
};

function workerMain() {
  const { name } = workerData;
  const bytes = new Uint8Array(readFileSync(path.join(DIR, name + ".wasm")));
  let result;
  try {
    const loaded = load(bytes);
    let h;
    try { h = start(loaded); }
    catch (e) { if (e instanceof Refused) throw e; throw new Refused("init", `trap during start-up: ${e.message}`); }
    if (scenarios[name]) result = { outcome: "good", detail: scenarios[name](h) };
    else {
      const r = run(h, 2, [f32bytes([1, 2, 3, 4, 5, 6, 7, 8])]);
      if (r.trap) result = { outcome: "trap", detail: r.trap };
      else if (r.error) result = { outcome: "call-error", detail: r.error };
      else if (r.status !== 0) result = { outcome: "call-error", detail: `status ${r.status} ${r.msg ?? ""}` };
      else result = { outcome: "ok", detail: "ran fine" };
    }
  } catch (e) {
    if (e instanceof Refused) {
      result = { outcome: e.stage === "call" ? "call-error" : "refused-" + e.stage, detail: e.message };
    } else result = { outcome: "FAILED", detail: String(e.stack || e) };
  }
  parentPort.postMessage(result);
}

// ---------------------------------------------------------------- driver
const EXPECT = {
  identity: "good", multi_io: "good", exported_memory: "good", poison: "good", invalid_input: "good",
  spin: "timeout", loop_run: "timeout", loop_start: "timeout", loop_initialize: "timeout",
  grow_forever: "trap", oob_access: "trap", recursion_bomb: "trap",
  wasi_import: "refused-load", func_import: "refused-load", missing_run: "refused-load",
  wrong_signature: "refused-load", no_metadata: "refused-load", bad_metadata: "refused-load",
  exported_memory_unbounded: "refused-load", huge_memory: "refused-load", truncated: "refused-load",
  random_bytes: "refused-load",
  lying_shape: "refused-init", lying_batch: "refused-init", bad_magic: "refused-init",
  bad_pointer: "refused-init", bad_pointer_wrap: "refused-init", bad_control_address: "refused-init",
  bad_counts: "refused-init",
  no_output_written: "call-error", bad_status: "call-error", moving_pointer: "call-error",
  bad_message: "call-error",
};

async function main() {
  let passed = 0, failed = 0;
  for (const [name, want] of Object.entries(EXPECT)) {
    const got = await new Promise((resolve) => {
      const w = new Worker(fileURLToPath(import.meta.url), { workerData: { name } });
      let progress = "";
      const secs = want === "timeout" ? 2 : 60; // grow_forever needs a few seconds in V8
      const timer = setTimeout(() => { w.terminate(); resolve({ outcome: "timeout", detail: `still running after ${secs} s ${progress}` }); }, secs * 1000);
      w.on("message", (m) => { if (m.progress) progress = `(${m.progress})`; else { clearTimeout(timer); w.terminate(); resolve(m); } });
      w.on("error", (e) => { clearTimeout(timer); resolve({ outcome: "FAILED", detail: String(e) }); });
    });
    const ok = got.outcome === want;
    ok ? passed++ : failed++;
    console.log(`${ok ? "PASS" : "FAIL"} ${name.padEnd(26)} ${got.outcome.padEnd(13)} ${got.detail}${ok ? "" : `  (expected ${want})`}`);
  }
  console.log(`${passed} passed, ${failed} failed`);
  process.exitCode = failed ? 1 : 0;
}

if (isMainThread) main(); else workerMain();
