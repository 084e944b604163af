package io.wasminference.compiler.lower;

import io.wasminference.compiler.ops.Activation;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** The Java side of the plan format agrees with compiler/src/main/c/wig_plan.h, the runtime's. */
class PlanFormatTest {
    static Map<String, Long> defines() throws Exception {
        String h = Files.readString(Path.of("src", "main", "c", "wig_plan.h"));
        Map<String, Long> out = new HashMap<>();
        Matcher m = Pattern.compile("#define (WIG_\\w+) (0x[0-9a-fA-F]+|\\d+)u?").matcher(h);
        while (m.find()) {
            out.put(m.group(1), Long.decode(m.group(2)));
        }
        return out;
    }

    @Test
    void opcodesAndConstantsMatchTheHeader() throws Exception {
        Map<String, Long> d = defines();
        for (Opcode op : Opcode.values()) {
            assertThat(d.get("WIG_OP_" + op.name())).as(op.name()).isEqualTo((long) op.code);
        }
        assertThat(d.keySet().stream().filter(k -> k.startsWith("WIG_OP_")).count())
                .isEqualTo(Opcode.values().length);
        for (Opcode.Binary b : Opcode.Binary.values()) {
            assertThat(d.get("WIG_BIN_" + b.name())).as(b.name()).isEqualTo((long) b.code);
        }
        for (Activation.Kind k : Activation.Kind.values()) {
            assertThat(d.get("WIG_ACT_" + k.name())).as(k.name()).isEqualTo((long) k.code);
        }
        assertThat(d.get("WIG_MAGIC")).isEqualTo((long) Opcode.PLAN_MAGIC);
        assertThat(d.get("WIG_VERSION")).isEqualTo((long) Opcode.PLAN_VERSION);
        assertThat(d.get("WIG_H_IO")).isEqualTo((long) Opcode.HEADER_WORDS);
        assertThat(d.get("WIG_FLAG_REJECT_NONFINITE")).isEqualTo((long) Opcode.FLAG_REJECT_NONFINITE);
        assertThat(d.get("WIG_T_IO")).isEqualTo((long) Opcode.T_IO);
        assertThat(d.get("WIG_MAX_RANK")).isEqualTo((long) Opcode.MAX_RANK);
        assertThat(d.get("WIG_MAX_IO")).isEqualTo((long) Opcode.MAX_IO);
        assertThat(d.get("WIG_DT_U8")).isEqualTo((long) io.wasminference.abi.DType.U8.ordinal());
        assertThat(d.get("WIG_DT_F64")).isEqualTo((long) io.wasminference.abi.DType.F64.ordinal());
    }
}
