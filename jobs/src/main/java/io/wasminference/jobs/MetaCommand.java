package io.wasminference.jobs;

import io.wasminference.abi.MetadataParser;
import io.wasminference.abi.ModelMetadata;
import io.wasminference.abi.WasmBinary;
import io.wasminference.errors.ModelRefusedException;
import io.wasminference.jobs.cli.Args;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * {@code meta attach MODEL.wasm META.txt} and {@code meta show MODEL.wasm}: writes or prints the
 * {@code wasm-inference.v1} custom section (docs/abi.md §2), as {@code samples/tools/wi_meta.py} does, byte for byte.
 */
final class MetaCommand {
    static final String USAGE = "meta attach MODEL.wasm META.txt [--out FILE] | meta show MODEL.wasm\n"
            + "    Attach (replace) a model's ABI metadata section after checking that META.txt parses, writing\n"
            + "    MODEL.wasm in place or FILE; or print the section's text.";

    private MetaCommand() {}

    static int run(String[] argv, PrintStream out) throws IOException {
        Args args = Args.parse(argv, 1, Set.of("out"), Set.of());
        List<String> pos = args.positional();
        if (pos.size() == 3 && pos.get(0).equals("attach")) {
            return attach(Path.of(pos.get(1)), Path.of(pos.get(2)), Path.of(args.get("out", pos.get(1))), out);
        }
        if (pos.size() == 2 && pos.get(0).equals("show") && args.get("out", null) == null) {
            return show(Path.of(pos.get(1)), out);
        }
        throw new Args.UsageException("meta takes 'attach MODEL.wasm META.txt' or 'show MODEL.wasm'");
    }

    private static int attach(Path wasm, Path meta, Path target, PrintStream out) throws IOException {
        byte[] text = Files.readAllBytes(meta);
        // A metadata file the host would refuse is refused here, before the module is written.
        ModelMetadata parsed = MetadataParser.parse(text);
        byte[] result = WasmBinary.withCustomSection(Files.readAllBytes(wasm), WasmBinary.METADATA_SECTION, text);
        Files.write(target, result);
        out.println("wrote " + target + ": " + parsed.id() + ", section '" + WasmBinary.METADATA_SECTION + "' of "
                + text.length + " bytes");
        return 0;
    }

    private static int show(Path wasm, PrintStream out) throws IOException {
        List<byte[]> sections = WasmBinary.parse(Files.readAllBytes(wasm)).customSections()
                .get(WasmBinary.METADATA_SECTION);
        if (sections == null || sections.isEmpty()) {
            throw new ModelRefusedException(wasm + " has no '" + WasmBinary.METADATA_SECTION + "' section; attach "
                    + "one with: meta attach " + wasm + " META.txt");
        }
        for (byte[] s : sections) {
            out.print(new String(s, StandardCharsets.UTF_8));
        }
        return 0;
    }
}
