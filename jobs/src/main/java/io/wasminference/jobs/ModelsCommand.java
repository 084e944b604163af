package io.wasminference.jobs;

import io.wasminference.model.ModelManifest;
import io.wasminference.model.ModelRepository;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code models}: what a model repository holds, and who signed each version. */
@Command(name = "models", description = "List the versions in a model repository and who signed them.")
final class ModelsCommand implements Callable<Integer> {
    private final PrintStream out;

    @Option(names = "--repo", required = true, paramLabel = "DIR",
            description = "the model repository: a folder or any Flink file system URI")
    String repoLocation;

    ModelsCommand(PrintStream out) {
        this.out = out;
    }

    @Override
    public Integer call() throws Exception {
        ModelRepository repo = new ModelRepository(repoLocation);
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
