package io.wasminference.jobs;

import io.wasminference.abi.MetadataParser;
import io.wasminference.abi.ModelMetadata;
import io.wasminference.abi.WasmBinary;
import io.wasminference.errors.ModelRefusedException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code meta attach MODEL.wasm META.txt} and {@code meta show MODEL.wasm}: writes or prints the
 * {@code wasm-inference.v1} custom section (docs/abi.md §2), as {@code samples/tools/wi_meta.py} does, byte for byte.
 */
@Command(name = "meta", description = "Attach or print a model's ABI metadata section (docs/abi.md §2).",
        synopsisSubcommandLabel = "attach|show")
final class MetaCommand {
    /** {@code meta attach}. */
    @Command(name = "attach", description = {
        "Attach (replace) a model's ABI metadata section.",
        "",
        "Checks first that META.txt parses as the host would parse it; writes MODEL.wasm in place, or --out FILE."})
    static final class Attach implements Callable<Integer> {
        private final PrintStream out;

        @Parameters(index = "0", paramLabel = "MODEL.wasm", description = "the module")
        Path wasm;

        @Parameters(index = "1", paramLabel = "META.txt", description = "the metadata text (docs/abi.md §2)")
        Path meta;

        @Option(names = "--out", paramLabel = "FILE", description = "write here instead of MODEL.wasm")
        Path target;

        Attach(PrintStream out) {
            this.out = out;
        }

        @Override
        public Integer call() throws IOException {
            byte[] text = Files.readAllBytes(meta);
            // A metadata file the host would refuse is refused here, before the module is written.
            ModelMetadata parsed = MetadataParser.parse(text);
            byte[] result = WasmBinary.withCustomSection(Files.readAllBytes(wasm), WasmBinary.METADATA_SECTION, text);
            Path to = target != null ? target : wasm;
            Files.write(to, result);
            out.println("wrote " + to + ": " + parsed.id() + ", section '" + WasmBinary.METADATA_SECTION + "' of "
                    + text.length + " bytes");
            return 0;
        }
    }

    /** {@code meta show}. */
    @Command(name = "show", description = "Print a model's ABI metadata section as text.")
    static final class Show implements Callable<Integer> {
        private final PrintStream out;

        @Parameters(paramLabel = "MODEL.wasm", description = "the module")
        Path wasm;

        Show(PrintStream out) {
            this.out = out;
        }

        @Override
        public Integer call() throws IOException {
            List<byte[]> sections = WasmBinary.parse(Files.readAllBytes(wasm)).customSections()
                    .get(WasmBinary.METADATA_SECTION);
            if (sections == null || sections.isEmpty()) {
                throw new ModelRefusedException(wasm + " has no '" + WasmBinary.METADATA_SECTION + "' section; "
                        + "attach one with: meta attach " + wasm + " META.txt");
            }
            for (byte[] s : sections) {
                out.print(new String(s, StandardCharsets.UTF_8));
            }
            return 0;
        }
    }
}
