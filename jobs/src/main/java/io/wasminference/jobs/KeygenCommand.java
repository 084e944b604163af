package io.wasminference.jobs;

import io.wasminference.jobs.cli.UsageException;
import io.wasminference.signing.Ed25519Keys;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.util.concurrent.Callable;

/** {@code keygen}: an Ed25519 key pair for signing published models (docs/hot-swap.md). */
@Command(name = "keygen", description = {
    "Write an Ed25519 key pair for signing published models.",
    "",
    "PREFIX.key is private (PEM, owner-only; give it to publish --sign-key), PREFIX.pub public (PEM; give it, or "
        + "several concatenated, to run --trusted-keys). The files are what 'openssl genpkey -algorithm ed25519' "
        + "and 'openssl pkey -pubout' write."})
final class KeygenCommand implements Callable<Integer> {
    private final PrintStream out;

    @Option(names = "--out", required = true, paramLabel = "PREFIX", description = "where to write PREFIX.key and "
            + "PREFIX.pub; existing files are never overwritten")
    String prefix;

    KeygenCommand(PrintStream out) {
        this.out = out;
    }

    @Override
    public Integer call() throws IOException {
        Path key = Path.of(prefix + ".key");
        Path pub = Path.of(prefix + ".pub");
        for (Path p : new Path[] {key, pub}) {
            if (Files.exists(p)) {
                throw new UsageException(p + " exists; keygen never overwrites a key (choose another --out)");
            }
        }
        KeyPair pair = Ed25519Keys.generate();
        writePrivate(key, Ed25519Keys.toPem(pair.getPrivate()));
        Files.writeString(pub, Ed25519Keys.toPem(pair.getPublic()), StandardCharsets.US_ASCII,
                StandardOpenOption.CREATE_NEW);
        out.println("wrote " + key + " (private: keep it with whoever publishes) and " + pub + " (public)");
        out.println("key id " + Ed25519Keys.keyId(pair.getPublic()));
        out.println("sign:  publish --repo DIR MODEL --sign-key " + key);
        out.println("trust: run ... --model-repo DIR --control-topic TOPIC --trusted-keys " + pub);
        return 0;
    }

    /** Created owner-only from the start where the file system has POSIX permissions, never readable by others. */
    private static void writePrivate(Path key, String pem) throws IOException {
        try {
            Files.createFile(key, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (UnsupportedOperationException e) {
            Files.createFile(key);
        } catch (FileAlreadyExistsException e) {
            throw new UsageException(key + " exists; keygen never overwrites a key");
        }
        Files.writeString(key, pem, StandardCharsets.US_ASCII, StandardOpenOption.TRUNCATE_EXISTING);
    }
}
