package io.wasminference.jobs;

import io.wasminference.jobs.cli.Args;
import io.wasminference.jobs.cli.JsonLines;
import io.wasminference.jobs.cli.Locations;
import io.wasminference.model.ModelManifest;
import io.wasminference.model.ModelRepository;
import io.wasminference.runtime.SandboxLimits;
import io.wasminference.signing.Ed25519Keys;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.util.List;
import java.util.Set;

/** {@code publish} and {@code models}: put a validated model into a repository, and list what it holds. */
final class PublishCommand {
    static final String USAGE = "publish --repo DIR MODEL [--golden FILE] [--sign-key KEY]\n"
            + "    Validate MODEL (ABI, sandboxed start-up, golden vectors: JSON lines of inputs and outputs) and\n"
            + "    publish it as DIR/NAME/VERSION/model.wasm + manifest.json. DIR may be any Flink file system URI.\n"
            + "    --sign-key KEY (an Ed25519 private key, see keygen) also writes manifest.json.sig, which jobs\n"
            + "    started with --trusted-keys require; bytes already published get (or replace) their signature.\n"
            + "  models --repo DIR\n"
            + "    List the published versions and who signed them.";

    private PublishCommand() {}

    static int publish(String[] argv, PrintStream out) throws Exception {
        Args args = Args.parse(argv, 1, Set.of("repo", "golden", "sign-key"), Set.of());
        if (args.positional().size() != 1) {
            throw new Args.UsageException("publish takes exactly one MODEL");
        }
        ModelRepository repo = new ModelRepository(args.require("repo"));
        String golden = args.get("golden", null);
        List<String> vectors = golden == null ? List.of()
                : JsonLines.read(Locations.golden(golden)).stream().filter(l -> !l.isBlank()).toList();
        PrivateKey signKey = null;
        if (args.get("sign-key", null) != null) {
            Path keyFile = Path.of(args.get("sign-key", null));
            try {
                signKey = Ed25519Keys.readPrivate(Files.readString(keyFile, StandardCharsets.US_ASCII));
            } catch (IOException | IllegalArgumentException e) {
                throw new Args.UsageException("--sign-key " + keyFile + ": " + e.getMessage());
            }
        }
        ModelManifest m = repo.publish(Locations.model(args.positional().get(0)).load(), vectors,
                SandboxLimits.defaults(), signKey);
        out.println("published " + m.name() + ":" + m.version() + " (sha256 " + m.sha256() + ", " + m.sizeBytes()
                + " bytes, " + m.golden().size() + " golden vectors checked) to " + repo.root()
                + (signKey != null ? ", signed by key " + Ed25519Keys.keyId(Ed25519Keys.publicOf(signKey)) : ""));
        out.println("deploy it: {\"command\": \"deploy\", \"name\": \"" + m.name() + "\", \"version\": \""
                + m.version() + "\"}");
        return 0;
    }

    static int list(String[] argv, PrintStream out) throws Exception {
        Args args = Args.parse(argv, 1, Set.of("repo"), Set.of());
        ModelRepository repo = new ModelRepository(args.require("repo"));
        List<ModelManifest> all = repo.list();
        for (ModelManifest m : all) {
            String signed = repo.signature(m.name(), m.version()).map(s -> "signed " + s.keyId()).orElse("unsigned");
            out.printf("%-20s %-12s %s  %s  in %s  out %s  golden %d  %s%n", m.name(), m.version(),
                    m.sha256().substring(0, 12), m.created(), m.inputs(), m.outputs(), m.golden().size(), signed);
        }
        out.println(all.size() + " versions in " + repo.root());
        return 0;
    }
}
