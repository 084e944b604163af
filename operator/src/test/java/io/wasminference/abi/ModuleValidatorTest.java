package io.wasminference.abi;

import io.wasminference.errors.ModelRefusedException;
import io.wasminference.testutils.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Modules refused by the static checks, before Wasmtime compiles or runs anything. */
class ModuleValidatorTest {
    private static final long CAP_PAGES = 4096; // 256 MiB

    @Test
    void acceptsAValidModuleWithImportedMemory() {
        ModuleValidator.ValidatedModule v = ModuleValidator.validate(Fixtures.wasm("identity"), CAP_PAGES);
        assertThat(v.metadata().name()).isEqualTo("identity");
        assertThat(v.memory().imported()).isTrue();
        assertThat(v.memory().maxPages()).isEqualTo(CAP_PAGES);
        assertThat(v.binary().imports()).hasSize(1);
    }

    @Test
    void acceptsExportedMemoryWithDeclaredMaximumAndKeepsItsMaximum() {
        ModuleValidator.ValidatedModule v = ModuleValidator.validate(Fixtures.wasm("exported_memory"), CAP_PAGES);
        assertThat(v.memory().imported()).isFalse();
        assertThat(v.memory().maxPages()).isEqualTo(4);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "wasi_import               | imports func wasi_snapshot_preview1.fd_write",
        "func_import               | imports func env.host_log",
        "missing_run               | does not export 'wi_run'",
        "wrong_signature           | export 'wi_run' must be a function () -> (i32), found function (i32) -> (i32)",
        "no_metadata               | has no 'wasm-inference.v1' custom section",
        "bad_metadata              | unknown dtype 'f16'",
        "exported_memory_unbounded | declares no maximum",
        "huge_memory               | needs at least 20000 pages",
        "truncated                 | not a valid WebAssembly module",
        "bad_custom_name           | a name of 5 bytes at offset 11 runs past the end of its section",
        "data_beyond_memory        | data segment 3 (16 bytes at offset 65530) ends at byte 65546, beyond the memory's initial size of 65536 bytes (1 pages)",
        "random_bytes              | not a valid WebAssembly module",
    })
    void refusesBeforeRunning(String fixture, String expectedMessage) {
        assertThatThrownBy(() -> ModuleValidator.validate(Fixtures.wasm(fixture), CAP_PAGES))
                .isInstanceOf(ModelRefusedException.class)
                .hasMessageContaining(expectedMessage);
    }

    @Test
    void refusesExportedMemoryWhoseMaximumExceedsTheCap() {
        assertThatThrownBy(() -> ModuleValidator.validate(Fixtures.wasm("exported_memory"), 2))
                .isInstanceOf(ModelRefusedException.class)
                .hasMessageContaining("declares a maximum of 4 pages")
                .hasMessageContaining("cap of 2 pages");
    }

    /**
     * What compiling costs is bounded before Wasmtime sees the module: each limit refuses a fixture that is within
     * the others. {@code features_accepted} is 388 bytes with 3 functions (code section 138 bytes, largest body
     * 112 bytes, wi_run) and 1 global.
     */
    @ParameterizedTest(name = "{1}")
    @CsvSource(delimiter = '|', value = {
        "module   | the module is 388 bytes, above the sandbox's limit of 387 bytes",
        "code     | the module's code section is 138 bytes, above the sandbox's limit of 137 bytes",
        "function | a function body of 112 bytes, above the sandbox's limit of 111 bytes per function",
        "functions| defines 3 functions, above the sandbox's limit of 2",
        "globals  | defines 1 globals, above the sandbox's limit of 0",
    })
    void refusesModulesAboveTheirCompileLimits(String limit, String message) {
        byte[] wasm = Fixtures.wasm("features_accepted");
        ModuleLimits d = ModuleLimits.defaults();
        ModuleLimits tight = switch (limit.trim()) {
            case "module" -> d.withMaxModuleBytes(wasm.length - 1);
            case "code" -> d.withMaxCodeBytes(137);
            case "function" -> d.withMaxFunctionBytes(111);
            case "functions" -> d.withMaxFunctions(2);
            case "globals" -> d.withMaxGlobals(0);
            default -> throw new IllegalArgumentException(limit);
        };
        assertThat(ModuleValidator.validate(wasm, CAP_PAGES).binary().footprint().moduleBytes()).isEqualTo(388);
        assertThatThrownBy(() -> ModuleValidator.validate(wasm, CAP_PAGES, tight))
                .isInstanceOf(ModelRefusedException.class)
                .hasMessageContaining(message);
    }

    @Test
    void readsTheFootprintOfAModule() {
        WasmBinary.Footprint f = ModuleValidator.validate(Fixtures.wasm("features_accepted"), CAP_PAGES)
                .binary().footprint();
        assertThat(f.definedFunctions()).isEqualTo(3);
        assertThat(f.codeBytes()).isEqualTo(138);
        assertThat(f.largestFunctionBytes()).isEqualTo(112);
        assertThat(f.definedGlobals()).isEqualTo(1);
        assertThat(f.dataSegments()).extracting(WasmBinary.DataSegment::offset).containsExactly(1024L, 1056L, 1072L);
        assertThat(f.dataSegments()).extracting(WasmBinary.DataSegment::length).containsExactly(20L, 8L, 8L);
    }

    @Test
    void refusesAFunctionLimitAboveWhatCraneliftSurvives() {
        assertThatThrownBy(() -> ModuleLimits.defaults().withMaxFunctionBytes(8L << 20))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("crashed the JVM");
    }

    @Test
    void refusesEmptyAndForeignFiles() {
        assertThatThrownBy(() -> ModuleValidator.validate(new byte[0], CAP_PAGES))
                .hasMessageContaining("shorter than the 8-byte header");
        assertThatThrownBy(() -> ModuleValidator.validate("{\"not\": \"wasm\"}".getBytes(), CAP_PAGES))
                .hasMessageContaining("does not start with the WebAssembly magic bytes");
    }
}
