package io.wasminference.jobs;

import io.wasminference.jobs.cli.Args;
import io.wasminference.signing.Ed25519Keys;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.util.Set;

/** {@code keygen}: an Ed25519 key pair for signing published models (docs/hot-swap.md). */
final class KeygenCommand {
    static final String USAGE = "keygen --out PREFIX\n"
            + "    Write a new Ed25519 key pair: PREFIX.key (private, PEM, owner-only; give it to publish --sign-key)\n"
            + "    and PREFIX.pub (public, PEM; give it, or several concatenated, to run --trusted-keys). The files\n"
            + "    are what 'openssl genpkey -algorithm ed25519' and 'openssl pkey -pubout' write.";

    private KeygenCommand() {}

    static int run(String[] argv, PrintStream out) throws IOException {
        Args args = Args.parse(argv, 1, Set.of("out"), Set.of());
        if (!args.positional().isEmpty()) {
            throw new Args.UsageException("keygen takes no positional arguments, only --out PREFIX");
        }
        String prefix = args.require("out");
        Path key = Path.of(prefix + ".key");
        Path pub = Path.of(prefix + ".pub");
        for (Path p : new Path[] {key, pub}) {
            if (Files.exists(p)) {
                throw new Args.UsageException(p + " exists; keygen never overwrites a key (choose another --out)");
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
            throw new Args.UsageException(key + " exists; keygen never overwrites a key");
        }
        Files.writeString(key, pem, StandardCharsets.US_ASCII, StandardOpenOption.TRUNCATE_EXISTING);
    }
}
