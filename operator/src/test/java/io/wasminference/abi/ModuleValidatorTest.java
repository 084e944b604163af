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

    @Test
    void refusesEmptyAndForeignFiles() {
        assertThatThrownBy(() -> ModuleValidator.validate(new byte[0], CAP_PAGES))
                .hasMessageContaining("shorter than the 8-byte header");
        assertThatThrownBy(() -> ModuleValidator.validate("{\"not\": \"wasm\"}".getBytes(), CAP_PAGES))
                .hasMessageContaining("does not start with the WebAssembly magic bytes");
    }
}
