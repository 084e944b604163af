#!/usr/bin/env python3
"""Attach, replace or print the wasm-inference ABI metadata section of a .wasm file (docs/abi.md).

  wi_meta.py attach MODEL.wasm META.txt   # (re)writes the custom section 'wasm-inference.v1'
  wi_meta.py show MODEL.wasm              # prints the section's text

Pure standard library, deterministic output (so rebuilt binaries are byte-identical).
"""
import sys

SECTION = "wasm-inference.v1"
MAGIC = b"\0asm\x01\0\0\0"


def leb_u32(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def read_leb(buf, pos):
    result, shift = 0, 0
    while True:
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7


def sections(buf):
    if buf[:8] != MAGIC:
        raise SystemExit("not a WebAssembly 1.0 binary")
    pos = 8
    while pos < len(buf):
        start = pos
        sid = buf[pos]
        size, body = read_leb(buf, pos + 1)
        end = body + size
        name = None
        if sid == 0:
            nlen, npos = read_leb(buf, body)
            name = buf[npos:npos + nlen].decode("utf-8")
        yield start, end, sid, name, body
        pos = end


def attach(wasm_path, meta_path):
    buf = open(wasm_path, "rb").read()
    text = open(meta_path, "rb").read()
    text.decode("utf-8")  # must be UTF-8
    kept = bytearray(buf[:8])
    for start, end, sid, name, _ in sections(buf):
        if not (sid == 0 and name == SECTION):
            kept += buf[start:end]
    name = SECTION.encode()
    payload = leb_u32(len(name)) + name + text
    kept += b"\0" + leb_u32(len(payload)) + payload
    open(wasm_path, "wb").write(bytes(kept))


def show(wasm_path):
    buf = open(wasm_path, "rb").read()
    for start, end, sid, name, body in sections(buf):
        if sid == 0 and name == SECTION:
            nlen, npos = read_leb(buf, body)
            sys.stdout.write(buf[npos + nlen:end].decode("utf-8"))
            return
    raise SystemExit("no %s section" % SECTION)


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "attach":
        attach(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 3 and sys.argv[1] == "show":
        show(sys.argv[2])
    else:
        raise SystemExit(__doc__)
