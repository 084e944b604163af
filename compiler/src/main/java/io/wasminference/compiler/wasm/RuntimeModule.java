package io.wasminference.compiler.wasm;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The prebuilt graph runtime (graph-runtime.wasm, built from compiler/src/main/c) and the one edit the compiler
 * makes to it: a data segment holding the plan and weights at the runtime's {@code __heap_base}, and an imported
 * memory whose minimum covers everything the plan lays out. The binary is read and rewritten at the level of its
 * sections; function bodies are untouched.
 */
public final class RuntimeModule {
    /** Classpath location of the runtime. */
    public static final String RESOURCE = "/io/wasminference/compiler/graph-runtime.wasm";
    static final long PAGE = 65536;

    private final byte[] wasm;
    private final List<Section> sections;
    private final long heapBase;

    private record Section(int id, int start, int payloadStart, int end) {}

    RuntimeModule(byte[] wasm) {
        this.wasm = wasm;
        this.sections = sections(wasm);
        this.heapBase = readHeapBase();
    }

    /** The runtime bundled with the compiler. */
    public static RuntimeModule bundled() {
        try (InputStream in = RuntimeModule.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("graph runtime " + RESOURCE + " is missing from the classpath");
            }
            return new RuntimeModule(in.readAllBytes());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public long heapBase() {
        return heapBase;
    }

    /** The runtime's own bytes (for its sha256 in reports). */
    public byte[] bytes() {
        return wasm.clone();
    }

    /**
     * The runtime with {@code segment} as an extra active data segment at {@code address} and the imported
     * memory's minimum raised to {@code minPages}.
     */
    public byte[] withPlan(long address, byte[] segment, long minPages) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(wasm.length + segment.length + 64);
        out.write(wasm, 0, 8);
        boolean wroteData = false;
        for (Section s : sections) {
            switch (s.id) {
                case 2 -> writeSection(out, 2, importsWithMemoryMin(s, minPages));
                case 11 -> {
                    writeSection(out, 11, dataWithSegment(s, address, segment));
                    wroteData = true;
                }
                case 12 -> writeSection(out, 12, dataCountPlusOne(s));
                default -> out.write(wasm, s.start, s.end - s.start);
            }
        }
        if (!wroteData) {
            throw new IllegalStateException("graph runtime has no data section");
        }
        return out.toByteArray();
    }

    private byte[] importsWithMemoryMin(Section s, long minPages) {
        Reader r = new Reader(wasm, s.payloadStart);
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        int n = (int) r.u32();
        writeLeb(body, n);
        for (int i = 0; i < n; i++) {
            int entryStart = r.pos;
            r.name();
            r.name();
            int kind = r.u8();
            if (kind != 2) {
                throw new IllegalStateException("graph runtime imports something other than its memory");
            }
            body.write(wasm, entryStart, r.pos - entryStart);
            int flags = r.u8();
            long min = r.u32();
            Long max = (flags & 1) != 0 ? r.u32() : null;
            body.write(flags);
            writeLeb(body, Math.max(min, minPages));
            if (max != null) {
                writeLeb(body, Math.max(max, minPages));
            }
        }
        return body.toByteArray();
    }

    private byte[] dataWithSegment(Section s, long address, byte[] segment) {
        Reader r = new Reader(wasm, s.payloadStart);
        long n = r.u32();
        ByteArrayOutputStream body = new ByteArrayOutputStream(s.end - s.payloadStart + segment.length + 16);
        writeLeb(body, n + 1);
        body.write(wasm, r.pos, s.end - r.pos);
        body.write(0); // active segment for memory 0
        body.write(0x41); // i32.const
        writeSleb(body, (int) address);
        body.write(0x0B); // end
        writeLeb(body, segment.length);
        body.writeBytes(segment);
        return body.toByteArray();
    }

    private byte[] dataCountPlusOne(Section s) {
        Reader r = new Reader(wasm, s.payloadStart);
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        writeLeb(body, r.u32() + 1);
        return body.toByteArray();
    }

    private long readHeapBase() {
        Integer globalIndex = null;
        for (Section s : sections) {
            if (s.id == 7) {
                Reader r = new Reader(wasm, s.payloadStart);
                long n = r.u32();
                for (int i = 0; i < n; i++) {
                    String name = r.name();
                    int kind = r.u8();
                    long index = r.u32();
                    if (name.equals("__heap_base") && kind == 3) {
                        globalIndex = (int) index;
                    }
                }
            }
        }
        if (globalIndex == null) {
            throw new IllegalStateException("graph runtime does not export __heap_base");
        }
        for (Section s : sections) {
            if (s.id == 6) {
                Reader r = new Reader(wasm, s.payloadStart);
                long n = r.u32();
                for (int i = 0; i < n; i++) {
                    r.u8(); // value type
                    r.u8(); // mutability
                    int op = r.u8();
                    if (op != 0x41) {
                        throw new IllegalStateException("unexpected global initializer in the graph runtime");
                    }
                    long v = r.s32();
                    if (r.u8() != 0x0B) {
                        throw new IllegalStateException("unexpected global initializer in the graph runtime");
                    }
                    if (i == globalIndex) {
                        return v & 0xFFFFFFFFL;
                    }
                }
            }
        }
        throw new IllegalStateException("graph runtime's __heap_base global not found");
    }

    private static List<Section> sections(byte[] b) {
        List<Section> out = new ArrayList<>();
        Reader r = new Reader(b, 8);
        while (r.pos < b.length) {
            int start = r.pos;
            int id = r.u8();
            long size = r.u32();
            int payload = r.pos;
            out.add(new Section(id, start, payload, (int) (payload + size)));
            r.pos = (int) (payload + size);
        }
        return out;
    }

    private static void writeSection(ByteArrayOutputStream out, int id, byte[] payload) {
        out.write(id);
        writeLeb(out, payload.length);
        out.writeBytes(payload);
    }

    static void writeLeb(ByteArrayOutputStream out, long value) {
        do {
            int b = (int) (value & 0x7F);
            value >>>= 7;
            out.write(value != 0 ? b | 0x80 : b);
        } while (value != 0);
    }

    static void writeSleb(ByteArrayOutputStream out, int value) {
        boolean more = true;
        while (more) {
            int b = value & 0x7F;
            value >>= 7;
            if ((value == 0 && (b & 0x40) == 0) || (value == -1 && (b & 0x40) != 0)) {
                more = false;
            } else {
                b |= 0x80;
            }
            out.write(b);
        }
    }

    private static final class Reader {
        final byte[] b;
        int pos;

        Reader(byte[] b, int pos) {
            this.b = b;
            this.pos = pos;
        }

        int u8() {
            return b[pos++] & 0xFF;
        }

        long u32() {
            long result = 0;
            int shift = 0;
            while (true) {
                int x = u8();
                result |= (long) (x & 0x7F) << shift;
                if ((x & 0x80) == 0) {
                    return result;
                }
                shift += 7;
            }
        }

        long s32() {
            long result = 0;
            int shift = 0;
            int x;
            do {
                x = u8();
                result |= (long) (x & 0x7F) << shift;
                shift += 7;
            } while ((x & 0x80) != 0);
            if (shift < 64 && (x & 0x40) != 0) {
                result |= -1L << shift;
            }
            return result;
        }

        String name() {
            int len = (int) u32();
            String s = new String(b, pos, len, java.nio.charset.StandardCharsets.UTF_8);
            pos += len;
            return s;
        }
    }
}
