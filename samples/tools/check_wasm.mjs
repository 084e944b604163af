// Runs a sample model's .wasm through a tiny ABI v1 host on Node's WebAssembly (V8, not Wasmtime), on the
// model's golden.jsonl and test.jsonl.gz, with the same batching as check_model.py.
//
//   node check_wasm.mjs MODEL.wasm RESOURCE_DIR OUT_LOGITS.bin
//
// Prints the golden error and the test accuracy, writes all test logits (float32 LE) to OUT_LOGITS.bin so that
// samples/check_native.sh can compare them bit for bit with the native build. No packages; Node >= 18.
import { readFileSync, writeFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import path from "node:path";

const [wasmPath, resDir, outPath] = process.argv.slice(2);
if (!outPath) { console.error("usage: node check_wasm.mjs MODEL.wasm RESOURCE_DIR OUT_LOGITS.bin"); process.exit(2); }

const bytes = readFileSync(wasmPath);

function leb(buf, pos) {
  let result = 0, shift = 0, b;
  do { b = buf[pos++]; result += (b & 0x7f) * 2 ** shift; shift += 7; } while (b & 0x80);
  return [result, pos];
}

// The import section's memory minimum and the metadata text.
let memMin = 0, metaText = null;
for (let pos = 8; pos < bytes.length;) {
  const id = bytes[pos];
  let size; [size, pos] = leb(bytes, pos + 1);
  const end = pos + size;
  if (id === 2) {
    let n, p = pos; [n, p] = leb(bytes, p);
    for (let i = 0; i < n; i++) {
      let l; [l, p] = leb(bytes, p); p += l; [l, p] = leb(bytes, p); p += l;
      const kind = bytes[p++];
      if (kind !== 2) throw new Error("unexpected non-memory import");
      const flags = bytes[p++]; [memMin, p] = leb(bytes, p); if (flags & 1) [, p] = leb(bytes, p);
    }
  } else if (id === 0) {
    let l, p; [l, p] = leb(bytes, pos);
    const name = bytes.subarray(p, p + l).toString("utf8");
    if (name === "wasm-inference.v1") metaText = bytes.subarray(p + l, end).toString("utf8");
  }
  pos = end;
}
if (metaText === null) throw new Error("no metadata section");
const meta = { input: [], output: [] };
for (const line of metaText.split(/\r?\n/)) {
  if (!line.trim() || line.startsWith("#")) continue;
  const i = line.indexOf(":");
  const key = line.slice(0, i), value = line.slice(i + 1).trim();
  if (key === "input" || key === "output") {
    const [name, dtype, shape] = value.split(/\s+/);
    meta[key].push({ name, dtype, count: shape.split("x").reduce((a, d) => a * Number(d), 1) });
  } else meta[key] = value;
}
const maxBatch = Number(meta.max_batch);
const inp = meta.input[0], out = meta.output[0];

const memory = new WebAssembly.Memory({ initial: memMin, maximum: 4096 });
const { instance } = await WebAssembly.instantiate(bytes, { env: { memory } });
const ctl = instance.exports.wi_control();
const dv = () => new DataView(memory.buffer);
const u32 = (off) => dv().getUint32(ctl + off, true);
const setU32 = (off, v) => dv().setUint32(ctl + off, v, true);
if (u32(0) !== 0x31424357 || u32(4) !== 1 || u32(12) !== 1 || u32(16) !== 1) throw new Error("bad control block");
const inSize = inp.dtype === "u8" ? 1 : 4;
if (u32(32 + 4) < maxBatch * inp.count * inSize || u32(48 + 4) < maxBatch * out.count * 4) throw new Error("capacity");

function run(samples) {
  const inPtr = u32(32), outPtr = u32(48);
  const d = dv();
  let off = inPtr;
  for (const s of samples) for (const v of s) {
    if (inSize === 1) d.setUint8(off, v); else d.setFloat32(off, v, true);
    off += inSize;
  }
  setU32(32 + 8, samples.length * inp.count * inSize);
  setU32(48 + 8, 0);
  setU32(8, samples.length);
  const status = instance.exports.wi_run();
  if (status !== 0) throw new Error("wi_run returned " + status);
  const n = samples.length * out.count;
  if (u32(48 + 8) !== n * 4) throw new Error("output length");
  const raw = Buffer.from(new Uint8Array(memory.buffer, outPtr, n * 4));
  const outs = [];
  for (let b = 0; b < samples.length; b++) {
    const row = [];
    for (let j = 0; j < out.count; j++) row.push(raw.readFloatLE((b * out.count + j) * 4));
    outs.push(row);
  }
  return [outs, raw];
}

const golden = readFileSync(path.join(resDir, "golden.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
const [gouts] = run(golden.map((g) => g.inputs[inp.name].data));
let maxScaled = 0;
golden.forEach((g, i) => g.outputs[out.name].data.forEach((t, j) => {
  maxScaled = Math.max(maxScaled, Math.abs(gouts[i][j] - t) / Math.max(1, Math.abs(t)));
}));

const tests = gunzipSync(readFileSync(path.join(resDir, "test.jsonl.gz"))).toString("utf8").trim().split("\n")
  .map((l) => JSON.parse(l));
const sizes = [maxBatch, 1, 3, 37];
let correct = 0, k = 0;
const raws = [];
for (let i = 0; i < tests.length;) {
  const chunk = tests.slice(i, i + sizes[k++ % sizes.length]);
  const [outs, raw] = run(chunk.map((t) => t.data));
  chunk.forEach((t, b) => {
    let best = 0;
    outs[b].forEach((v, j) => { if (v > outs[b][best]) best = j; });
    if (best === t.label) correct++;
  });
  raws.push(Buffer.from(raw));
  i += chunk.length;
}
writeFileSync(outPath, Buffer.concat(raws));
console.log(`  wasm ${path.basename(wasmPath)} (V8): golden max |c-t|/max(1,|t|) = ${maxScaled.toExponential(3)}, ` +
  `test ${correct}/${tests.length} = ${(correct / tests.length).toFixed(4)}`);
if (maxScaled > 1e-5) process.exit(1);
