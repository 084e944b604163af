#!/usr/bin/env python3
"""Runs a natively built sample model (a shared library of model.c + wi_kernels.c built with -DWI_NATIVE, see
samples/check_native.sh) through the ABI v1 control block, on the model's golden.jsonl and test.jsonl.gz.

  check_model.py LIB.so RESOURCE_DIR [OUT_LOGITS.bin]

Checks: every golden output within 1e-5 of PyTorch's (|c - t| <= 1e-5 * max(1, |t|)); the number of correct
test predictions equals training-report.json's framework_correct. Writes all test logits (float32, little
endian, test-set order) to OUT_LOGITS.bin if given, for bit-for-bit comparisons between builds.
Pure standard library. Exit 1 on any mismatch.
"""
import ctypes
import gzip
import json
import math
import os
import struct
import sys

TOL = 1e-5
DTYPES = {"f32": ("f", 4), "u8": ("B", 1)}


class Header(ctypes.Structure):
    _fields_ = [(n, ctypes.c_uint32) for n in
                ("magic", "abi", "batch", "n_inputs", "n_outputs", "msg_ptr", "msg_len", "reserved")]


class Slot(ctypes.Structure):
    _fields_ = [(n, ctypes.c_uint32) for n in ("ptr", "capacity", "length", "reserved")]


def read_meta(res_dir):
    # meta.txt lives with the sources; the resource dir only has the binaries, so parse the .wasm's section
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import wi_meta
    buf = open(os.path.join(res_dir, "model.wasm"), "rb").read()
    for start, end, sid, name, body in wi_meta.sections(buf):
        if sid == 0 and name == wi_meta.SECTION:
            nlen, npos = wi_meta.read_leb(buf, body)
            text = buf[npos + nlen:end].decode("utf-8")
            break
    else:
        raise SystemExit("no metadata in model.wasm")
    meta = {"input": [], "output": []}
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        key, _, value = line.partition(":")
        value = value.strip()
        if key in ("input", "output"):
            n, dt, shape = value.split()
            count = 1
            for d in shape.split("x"):
                count *= int(d)
            meta[key].append((n, dt, count))
        else:
            meta[key] = value
    return meta


class Model:
    def __init__(self, lib_path, meta):
        self.lib = ctypes.CDLL(os.path.abspath(lib_path))
        for f in ("wi_native_input", "wi_native_output"):
            getattr(self.lib, f).restype = ctypes.c_void_p
            getattr(self.lib, f).argtypes = [ctypes.c_int]
        self.lib.wi_native_header.restype = ctypes.POINTER(Header)
        self.lib.wi_native_slot.restype = ctypes.POINTER(Slot)
        self.lib.wi_native_slot.argtypes = [ctypes.c_int]
        self.lib.wi_control.restype = ctypes.c_int
        self.lib.wi_run.restype = ctypes.c_int
        self.lib.wi_control()
        self.h = self.lib.wi_native_header().contents
        assert self.h.magic == 0x31424357 and self.h.abi == 1, "bad control block"
        assert self.h.n_inputs == 1 and self.h.n_outputs == 1
        self.max_batch = int(meta["max_batch"])
        (_, self.in_dtype, self.in_count), = meta["input"]
        (_, out_dtype, self.out_count), = meta["output"]
        assert out_dtype == "f32"
        self.in_slot = self.lib.wi_native_slot(0).contents
        self.out_slot = self.lib.wi_native_slot(1).contents
        fmt, size = DTYPES[self.in_dtype]
        self.in_fmt, self.in_size = fmt, size
        assert self.in_slot.capacity >= self.max_batch * self.in_count * size, "input capacity too small"
        assert self.out_slot.capacity >= self.max_batch * self.out_count * 4, "output capacity too small"

    def run(self, samples):
        """samples: list of flat input lists -> (status, list of output lists, raw output bytes)."""
        b = len(samples)
        flat = [v for s in samples for v in s]
        raw = struct.pack("<%d%s" % (len(flat), self.in_fmt), *flat)
        ctypes.memmove(self.lib.wi_native_input(0), raw, len(raw))
        self.in_slot.length = len(raw)
        self.out_slot.length = 0
        self.h.batch = b
        status = self.lib.wi_run()
        if status != 0:
            return status, None, None
        n = b * self.out_count
        assert self.out_slot.length == n * 4, "output length %d != %d" % (self.out_slot.length, n * 4)
        out_raw = ctypes.string_at(self.lib.wi_native_output(0), n * 4)
        vals = struct.unpack("<%df" % n, out_raw)
        return 0, [list(vals[i * self.out_count:(i + 1) * self.out_count]) for i in range(b)], out_raw


def main():
    if len(sys.argv) not in (3, 4):
        raise SystemExit(__doc__)
    lib, res = sys.argv[1], sys.argv[2]
    meta = read_meta(res)
    model = Model(lib, meta)
    in_name = meta["input"][0][0]
    out_name = meta["output"][0][0]
    ok = True

    golden = [json.loads(line) for line in open(os.path.join(res, "golden.jsonl"))]
    status, outs, _ = model.run([g["inputs"][in_name]["data"] for g in golden])
    if status != 0:
        raise SystemExit("wi_run returned %d on the golden batch" % status)
    max_abs = max_scaled = 0.0
    for g, out in zip(golden, outs):
        for c, t in zip(out, g["outputs"][out_name]["data"]):
            d = abs(c - t)
            max_abs = max(max_abs, d)
            max_scaled = max(max_scaled, d / max(1.0, abs(t)))
    # batch 1 gives the same numbers as the batch of 16 (blocked kernels must not depend on the batch size)
    for i in (0, 5, 15):
        s1, o1, _ = model.run([golden[i]["inputs"][in_name]["data"]])
        if s1 != 0 or o1[0] != outs[i]:
            print("  FAIL: golden sample %d differs between batch 1 and batch 16" % i)
            ok = False
    if not max_scaled <= TOL:
        print("  FAIL: golden outputs differ from PyTorch's by more than %g" % TOL)
        ok = False

    report = json.load(open(os.path.join(res, "training-report.json")))
    tests = [json.loads(line) for line in gzip.open(os.path.join(res, "test.jsonl.gz"), "rt")]
    assert len(tests) == report["test_samples"], "test set size differs from the report"
    correct = 0
    raw_all = bytearray()
    sizes = [model.max_batch, 1, 3, 37]  # full and partial batches
    i = k = 0
    while i < len(tests):
        chunk = tests[i:i + sizes[k % len(sizes)]]
        k += 1
        status, outs, raw = model.run([t["data"] for t in chunk])
        if status != 0:
            raise SystemExit("wi_run returned %d on test batch at %d" % (status, i))
        for t, out in zip(chunk, outs):
            if max(range(len(out)), key=lambda j: (out[j], -j)) == t["label"]:
                correct += 1
        raw_all += raw
        i += len(chunk)
    acc = correct / len(tests)
    print("  golden: %d samples, max |c-t| = %.3g, max |c-t|/max(1,|t|) = %.3g (tolerance %g)"
          % (len(golden), max_abs, max_scaled, TOL))
    print("  test: C %d/%d = %.4f, PyTorch %d/%d = %.4f"
          % (correct, len(tests), acc, report["framework_correct"], len(tests), report["framework_accuracy"]))
    if correct != report["framework_correct"]:
        print("  FAIL: accuracy differs from the framework's")
        ok = False

    # ABI edge cases: batch 0 and batch max+1 are refused with INVALID_BATCH
    for bad in (0, model.max_batch + 1):
        model.h.batch = bad
        st = model.lib.wi_run()
        if st != 1:
            print("  FAIL: batch %d gave status %d, want 1" % (bad, st))
            ok = False
    if model.in_dtype == "f32":
        s = list(golden[0]["inputs"][in_name]["data"])
        s[3] = math.nan
        st, _, _ = model.run([s])
        if st != 2:
            print("  FAIL: NaN input gave status %d, want 2" % st)
            ok = False

    if len(sys.argv) == 4:
        open(sys.argv[3], "wb").write(bytes(raw_all))
    print("  " + ("OK" if ok else "MISMATCH"))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
