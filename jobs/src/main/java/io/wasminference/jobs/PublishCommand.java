package io.wasminference.jobs;

import io.wasminference.jobs.cli.JsonLines;
import io.wasminference.jobs.cli.Locations;
import io.wasminference.jobs.cli.UsageException;
import io.wasminference.model.ModelManifest;
import io.wasminference.model.ModelRepository;
import io.wasminference.runtime.SandboxLimits;
import io.wasminference.signing.Ed25519Keys;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code publish}: put a validated model into a repository (docs/hot-swap.md). */
@Command(name = "publish",
        customSynopsis = "${COMMAND-FULL-NAME} --repo DIR MODEL [OPTION]...",
        description = {
    "Validate a model and publish it to a model repository.",
    "",
    "Checks the ABI, a sandboxed start-up and the golden vectors (JSON lines of inputs and outputs), then writes "
        + "DIR/NAME/VERSION/model.wasm + manifest.json. --sign-key also writes manifest.json.sig, which jobs started "
        + "with --trusted-keys require; bytes already published get (or replace) their signature."})
final class PublishCommand implements Callable<Integer> {
    private final PrintStream out;

    @Parameters(paramLabel = "MODEL", description = "a path, a URI, or sample:NAME")
    String model;

    @Option(names = "--repo", required = true, paramLabel = "DIR",
            description = "the model repository: a folder or any Flink file system URI")
    String repoLocation;

    @Option(names = "--golden", paramLabel = "FILE", description = "golden vectors to check and keep with the version")
    String golden;

    @Option(names = "--sign-key", paramLabel = "KEY", description = "an Ed25519 private key (see keygen) to sign with")
    String signKeyFile;

    PublishCommand(PrintStream out) {
        this.out = out;
    }

    @Override
    public Integer call() throws Exception {
        ModelRepository repo = new ModelRepository(repoLocation);
        List<String> vectors = golden == null ? List.of()
                : JsonLines.read(Locations.golden(golden)).stream().filter(l -> !l.isBlank()).toList();
        PrivateKey signKey = null;
        if (signKeyFile != null) {
            Path keyFile = Path.of(signKeyFile);
            try {
                signKey = Ed25519Keys.readPrivate(Files.readString(keyFile, StandardCharsets.US_ASCII));
            } catch (IOException | IllegalArgumentException e) {
                throw new UsageException("--sign-key " + keyFile + ": " + e.getMessage());
            }
        }
        ModelManifest m = repo.publish(Locations.model(model).load(), vectors,
                SandboxLimits.defaults(), signKey);
        out.println("published " + m.name() + ":" + m.version() + " (sha256 " + m.sha256() + ", " + m.sizeBytes()
                + " bytes, " + m.golden().size() + " golden vectors checked) to " + repo.root()
                + (signKey != null ? ", signed by key " + Ed25519Keys.keyId(Ed25519Keys.publicOf(signKey)) : ""));
        out.println("deploy it: {\"command\": \"deploy\", \"name\": \"" + m.name() + "\", \"version\": \""
                + m.version() + "\"}");
        return 0;
    }
}
