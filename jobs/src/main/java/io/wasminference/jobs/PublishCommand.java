package io.wasminference.jobs;

import io.wasminference.jobs.cli.Args;
import io.wasminference.jobs.cli.JsonLines;
import io.wasminference.jobs.cli.Locations;
import io.wasminference.model.ModelManifest;
import io.wasminference.model.ModelRepository;
import io.wasminference.runtime.SandboxLimits;

import java.io.PrintStream;
import java.util.List;
import java.util.Set;

/** {@code publish} and {@code models}: put a validated model into a repository, and list what it holds. */
final class PublishCommand {
    static final String USAGE = "publish --repo DIR MODEL [--golden FILE]\n"
            + "    Validate MODEL (ABI, sandboxed start-up, golden vectors: JSON lines of inputs and outputs) and\n"
            + "    publish it as DIR/NAME/VERSION/model.wasm + manifest.json. DIR may be any Flink file system URI.\n"
            + "  models --repo DIR\n"
            + "    List the published versions.";

    private PublishCommand() {}

    static int publish(String[] argv, PrintStream out) throws Exception {
        Args args = Args.parse(argv, 1, Set.of("repo", "golden"), Set.of());
        if (args.positional().size() != 1) {
            throw new Args.UsageException("publish takes exactly one MODEL");
        }
        ModelRepository repo = new ModelRepository(args.require("repo"));
        String golden = args.get("golden", null);
        List<String> vectors = golden == null ? List.of()
                : JsonLines.read(Locations.golden(golden)).stream().filter(l -> !l.isBlank()).toList();
        ModelManifest m = repo.publish(Locations.model(args.positional().get(0)).load(), vectors,
                SandboxLimits.defaults());
        out.println("published " + m.name() + ":" + m.version() + " (sha256 " + m.sha256() + ", " + m.sizeBytes()
                + " bytes, " + m.golden().size() + " golden vectors checked) to " + repo.root());
        out.println("deploy it: {\"command\": \"deploy\", \"name\": \"" + m.name() + "\", \"version\": \""
                + m.version() + "\"}");
        return 0;
    }

    static int list(String[] argv, PrintStream out) throws Exception {
        Args args = Args.parse(argv, 1, Set.of("repo"), Set.of());
        ModelRepository repo = new ModelRepository(args.require("repo"));
        List<ModelManifest> all = repo.list();
        for (ModelManifest m : all) {
            out.printf("%-20s %-12s %s  %s  in %s  out %s  golden %d%n", m.name(), m.version(),
                    m.sha256().substring(0, 12), m.created(), m.inputs(), m.outputs(), m.golden().size());
        }
        out.println(all.size() + " versions in " + repo.root());
        return 0;
    }
}
