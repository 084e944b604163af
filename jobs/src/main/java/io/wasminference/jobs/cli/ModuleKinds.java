package io.wasminference.jobs.cli;

import io.wasminference.abi.ModuleKind;
import io.wasminference.model.ModelRef;

import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * The {@code --abi} option of {@code predict}, {@code run} and {@code inspect}: which contract the model follows,
 * {@code v1} (the default) or {@code tvm-standalone} (docs/tvm-standalone.md).
 */
public final class ModuleKinds {
    private ModuleKinds() {}

    /** Name of the option. */
    public static final String OPTION = "abi";

    /** @throws UsageException naming the accepted values */
    public static ModuleKind parse(String value) {
        try {
            return ModuleKind.of(value);
        } catch (IllegalArgumentException e) {
            throw new UsageException("--abi " + value + ": accepted values are " + Arrays.stream(
                    ModuleKind.values()).map(ModuleKind::id).collect(Collectors.joining(", ")));
        }
    }

    /**
     * The model at {@code location} read as {@code kind}. {@code sample:NAME} with {@code tvm-standalone} is the
     * sample's seed-style build ({@code samples/NAME/tvm-standalone.wasm} and its sidecar).
     *
     * @throws UsageException for a sample without a build of that kind
     */
    public static ModelRef model(String location, ModuleKind kind) {
        if (kind == ModuleKind.TVM_STANDALONE && location.startsWith(Locations.SAMPLE)) {
            String name = location.substring(Locations.SAMPLE.length());
            String resource = "samples/" + name + "/tvm-standalone.wasm";
            if (name.isEmpty() || name.contains("/")
                    || ModuleKinds.class.getClassLoader().getResource(resource) == null) {
                throw new UsageException("sample '" + name + "' has no tvm-standalone build; "
                        + Locations.SAMPLE + "digits-mlp has one (samples/tvm/)");
            }
            return ModelRef.of("classpath:" + resource).withKind(kind);
        }
        return Locations.model(location).withKind(kind);
    }
}
