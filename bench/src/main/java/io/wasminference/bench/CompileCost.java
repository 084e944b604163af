package io.wasminference.bench;

import io.github.kawamuray.wasmtime.Config;
import io.github.kawamuray.wasmtime.Engine;
import io.github.kawamuray.wasmtime.Instance;
import io.github.kawamuray.wasmtime.Store;

import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * What compiling (and instantiating) a module costs in Wasmtime 7, for modules generated to stress one dimension
 * each; the measurements behind the defaults of {@code ModuleLimits} (docs/abi.md §6). One case per JVM, so the
 * resident-set high-water mark belongs to that case:
 *
 * <pre>
 * java -cp "bench/target/classes:$(cat bench/target/bench.classpath)" io.wasminference.bench.CompileCost KIND N
 * </pre>
 *
 * KIND: {@code chain} (one function of about N bytes of {@code i32.const; i32.add}), {@code functions} (N trivial
 * functions), {@code functions4k} (N functions of 4 KB each), {@code globals} (N mutable globals),
 * {@code locals} (one function with N locals), {@code nested} (one function of about N bytes of nested blocks),
 * {@code data} (a 1-page memory plus one data segment of N bytes; the memory is sized to hold it).
 * The engine is configured as the runtime's {@code SharedEngine} is. A 7 MB {@code chain} crashes the JVM.
 */
public final class CompileCost {
    private CompileCost() {}

    public static void main(String[] args) throws Exception {
        String kind = args[0];
        int n = Integer.parseInt(args[1]);
        byte[] wasm = generate(kind, n);
        Config config = new Config()
                .epochInterruption(true)
                .maxWasmStack(256 << 10)
                .wasmSimd(true)
                .wasmBulkMemory(true)
                .wasmMultiValue(true)
                .wasmReferenceTypes(false)
                .wasmThreads(false);
        Engine engine = new Engine(config);
        long rss0 = status("VmRSS");
        long t0 = System.nanoTime();
        try (io.github.kawamuray.wasmtime.Module module = new io.github.kawamuray.wasmtime.Module(engine, wasm)) {
            long compileMs = (System.nanoTime() - t0) / 1_000_000;
            long rss1 = status("VmRSS");
            System.out.printf("%s %d: %d bytes, compiled in %d ms, RSS +%d MiB, process peak %d MiB%n", kind, n,
                    wasm.length, compileMs, (rss1 - rss0) >> 10, status("VmHWM") >> 10);
            try (Store<Void> store = new Store<>(null, engine)) {
                store.setEpochDeadline(Long.MAX_VALUE / 2);
                long t1 = System.nanoTime();
                try (Instance instance = new Instance(store, module, List.of())) {
                    System.out.printf("  instantiated in %d ms, RSS +%d MiB%n", (System.nanoTime() - t1) / 1_000_000,
                            (status("VmRSS") - rss1) >> 10);
                }
            }
        } catch (RuntimeException e) {
            System.out.printf("%s %d: %d bytes, refused after %d ms: %s%n", kind, n, wasm.length,
                    (System.nanoTime() - t0) / 1_000_000, e.getMessage());
        }
    }

    static byte[] generate(String kind, int n) {
        ByteArrayOutputStream m = new ByteArrayOutputStream();
        m.writeBytes(new byte[] {0, 'a', 's', 'm', 1, 0, 0, 0});
        section(m, 1, vec(1, bytes(0x60, 0x00, 0x01, 0x7F))); // type 0: () -> i32
        byte[] trivial = body(0, bytes(0x41, 0x01));
        switch (kind) {
            case "chain" -> {
                ByteArrayOutputStream ops = new ByteArrayOutputStream();
                ops.writeBytes(bytes(0x41, 0x01));
                for (int k = 0; ops.size() < n; k++) {
                    ops.writeBytes(bytes(0x41, k & 0x3F, 0x6A));
                }
                code(m, 1, body(0, ops.toByteArray()));
            }
            case "functions" -> code(m, n, trivial);
            case "functions4k" -> {
                ByteArrayOutputStream ops = new ByteArrayOutputStream();
                ops.writeBytes(bytes(0x41, 0x01));
                for (int k = 0; k < 1300; k++) {
                    ops.writeBytes(bytes(0x41, k & 0x3F, 0x6A));
                }
                code(m, n, body(0, ops.toByteArray()));
            }
            case "globals" -> {
                section(m, 3, vec(1, leb(0)));
                ByteArrayOutputStream g = new ByteArrayOutputStream();
                for (int i = 0; i < n; i++) {
                    g.writeBytes(bytes(0x7F, 0x01, 0x41, i & 0x3F, 0x0B));
                }
                section(m, 6, concat(leb(n), g.toByteArray()));
                section(m, 10, vec(1, withSize(body(0, concat(bytes(0x23), leb(n - 1))))));
            }
            case "locals" -> {
                ByteArrayOutputStream ops = new ByteArrayOutputStream();
                for (int i = 0; i < n; i++) {
                    ops.writeBytes(bytes(0x41, i & 0x3F, 0x21));
                    ops.writeBytes(leb(i));
                }
                ops.writeBytes(bytes(0x20, 0x00));
                for (int i = 1; i < n; i++) {
                    ops.write(0x20);
                    ops.writeBytes(leb(i));
                    ops.write(0x6A);
                }
                code(m, 1, body(n, ops.toByteArray()));
            }
            case "nested" -> {
                int depth = n / 3;
                ByteArrayOutputStream ops = new ByteArrayOutputStream();
                for (int i = 0; i < depth; i++) {
                    ops.writeBytes(bytes(0x02, 0x40));
                }
                for (int i = 0; i < depth; i++) {
                    ops.write(0x0B);
                }
                ops.writeBytes(bytes(0x41, 0x00));
                code(m, 1, body(0, ops.toByteArray()));
            }
            case "data" -> {
                long pages = (65536L + n + 65535) / 65536;
                section(m, 3, vec(1, leb(0)));
                section(m, 5, vec(1, concat(bytes(0x01), leb((int) pages), leb((int) pages))));
                section(m, 10, vec(1, withSize(trivial)));
                byte[] data = new byte[n];
                for (int i = 0; i < n; i++) {
                    data[i] = (byte) (i * 7);
                }
                section(m, 11, vec(1, concat(bytes(0x00, 0x41, 0x80, 0x80, 0x04, 0x0B), leb(n), data)));
            }
            default -> throw new IllegalArgumentException("unknown kind " + kind);
        }
        return m.toByteArray();
    }

    private static void code(ByteArrayOutputStream m, int functions, byte[] body) {
        ByteArrayOutputStream types = new ByteArrayOutputStream();
        ByteArrayOutputStream bodies = new ByteArrayOutputStream();
        byte[] sized = withSize(body);
        for (int i = 0; i < functions; i++) {
            types.write(0);
            bodies.writeBytes(sized);
        }
        section(m, 3, concat(leb(functions), types.toByteArray()));
        section(m, 10, concat(leb(functions), bodies.toByteArray()));
    }

    /** A function body: {@code locals} i32 locals, the instructions, {@code end}. */
    private static byte[] body(int locals, byte[] instructions) {
        byte[] decl = locals == 0 ? bytes(0x00) : concat(bytes(0x01), leb(locals), bytes(0x7F));
        return concat(decl, instructions, bytes(0x0B));
    }

    private static byte[] withSize(byte[] b) {
        return concat(leb(b.length), b);
    }

    private static byte[] vec(int count, byte[] items) {
        return concat(leb(count), items);
    }

    private static void section(ByteArrayOutputStream m, int id, byte[] content) {
        m.write(id);
        m.writeBytes(leb(content.length));
        m.writeBytes(content);
    }

    private static byte[] leb(int value) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        do {
            int b = value & 0x7F;
            value >>>= 7;
            out.write(value != 0 ? b | 0x80 : b);
        } while (value != 0);
        return out.toByteArray();
    }

    private static byte[] bytes(int... values) {
        byte[] out = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = (byte) values[i];
        }
        return out;
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    private static long status(String field) throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith(field + ":")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return -1;
    }
}
