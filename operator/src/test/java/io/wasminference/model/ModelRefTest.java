package io.wasminference.model;

import io.wasminference.errors.ModelRefusedException;
import io.wasminference.runtime.WasmModel;
import io.wasminference.testutils.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ModelRefTest {
    @TempDir
    Path dir;

    @Test
    void loadsFromAPathAFileUriThroughFlinksFileSystemAndTheClasspath() throws Exception {
        byte[] wasm = Fixtures.wasm("identity");
        Path file = Files.write(dir.resolve("m.wasm"), wasm);
        assertThat(ModelRef.of(file.toString()).load()).isEqualTo(wasm);
        assertThat(ModelRef.of(file.toUri().toString()).load()).isEqualTo(wasm);
        assertThat(ModelRef.of("classpath:wasm/identity.wasm").load()).isEqualTo(wasm);
        assertThat(ModelRef.of("classpath:/wasm/identity.wasm").load()).isEqualTo(wasm);
    }

    @Test
    void aFileUriWithASpaceOrAHashLoadsWhetherOrNotItIsEncoded() throws Exception {
        byte[] wasm = Fixtures.wasm("identity");
        Path file = Files.write(Files.createDirectories(dir.resolve("a b #c")).resolve("m.wasm"), wasm);
        assertThat(ModelRef.of(file.toString()).load()).isEqualTo(wasm);
        assertThat(ModelRef.of(file.toUri().toString()).load()).isEqualTo(wasm); // file:///.../a%20b%20%23c/m.wasm
        assertThat(ModelRef.of("file://" + file).load()).isEqualTo(wasm); // as typed: file:///.../a b #c/m.wasm
    }

    @Test
    void verifiesAPinnedSha256() throws Exception {
        byte[] wasm = Fixtures.wasm("identity");
        Path file = Files.write(dir.resolve("m.wasm"), wasm);
        String sha = WasmModel.sha256(wasm);
        assertThat(ModelRef.of(file.toString()).withSha256(sha.toUpperCase()).load()).isEqualTo(wasm);
        String other = "0".repeat(64);
        assertThatThrownBy(() -> ModelRef.of(file.toString()).withSha256(other).load())
                .isInstanceOf(ModelRefusedException.class)
                .hasMessageContaining("has sha256 " + sha + " but " + other + " was expected");
    }

    @Test
    void saysWhatIsMissingAndWhere() {
        assertThatThrownBy(() -> ModelRef.of(dir.resolve("nope.wasm").toString()).load())
                .isInstanceOf(ModelRefusedException.class)
                .hasMessageContaining("cannot read model " + dir.resolve("nope.wasm"));
        assertThatThrownBy(() -> ModelRef.of("classpath:no/such.wasm").load())
                .hasMessageContaining("no classpath resource 'no/such.wasm'");
        assertThatThrownBy(() -> ModelRef.of("nosuchfs://bucket/m.wasm").load())
                .isInstanceOf(ModelRefusedException.class)
                .hasMessageContaining("nosuchfs://bucket/m.wasm");
        assertThatThrownBy(() -> ModelRef.of("m.wasm").withSha256("xyz"))
                .hasMessageContaining("not 64 hex digits");
    }
}
