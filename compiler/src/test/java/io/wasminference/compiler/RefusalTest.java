package io.wasminference.compiler;

import org.junit.jupiter.api.Test;

import static io.wasminference.compiler.OnnxBuilder.attr;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** What the compiler cannot compile is refused before anything runs, naming the node, op and attribute. */
class RefusalTest {
    static CompileOptions defaults() {
        return CompileOptions.builder().build();
    }

    @Test
    void anUnsupportedOperatorIsNamedWithTheSupportedList() {
        byte[] m = new OnnxBuilder().input("x", -1, 4).node("Erf", new String[] {"x"}, new String[] {"y"})
                .output("y").build();
        assertThatThrownBy(() -> OnnxCompiler.compile(m, defaults()))
                .isInstanceOf(UnsupportedModelException.class)
                .hasMessageContaining("Erf node 'erf1'").hasMessageContaining("operator 'Erf' is not supported")
                .hasMessageContaining("Supported operators: Abs, Add").hasMessageContaining("Conv");
    }

    @Test
    void anAttributeNoCodeReadsIsRefusedRatherThanIgnored() {
        byte[] m = new OnnxBuilder().input("x", -1, 4).node("Relu", new String[] {"x"}, new String[] {"y"},
                attr("alpha", 2)).output("y").build();
        assertThatThrownBy(() -> OnnxCompiler.compile(m, defaults()))
                .hasMessageContaining("Relu node 'relu1'").hasMessageContaining("attribute(s) [alpha] are not supported");
    }

    @Test
    void anUnsupportedAttributeValueIsNamed() {
        byte[] m = new OnnxBuilder().input("x", -1, 1, 4, 4).weight("w", new float[9], 1, 1, 3, 3)
                .node("Conv", new String[] {"x", "w"}, new String[] {"y"}, attr("auto_pad", "SAME_SIDEWAYS"))
                .output("y").build();
        assertThatThrownBy(() -> OnnxCompiler.compile(m, defaults()))
                .hasMessageContaining("Conv node 'conv1'").hasMessageContaining("auto_pad 'SAME_SIDEWAYS'");
    }

    @Test
    void weightsComputedAtRunTimeAreRefused() {
        byte[] m = new OnnxBuilder().input("x", -1, 1, 4, 4).input("w", 1, 1, 3, 3)
                .node("Conv", new String[] {"x", "w"}, new String[] {"y"}).output("y").build();
        assertThatThrownBy(() -> OnnxCompiler.compile(m, defaults()))
                .hasMessageContaining("the weights ('w') must be constants");
    }

    @Test
    void threeDimensionalConvolutionIsRefused() {
        byte[] m = new OnnxBuilder().input("x", -1, 1, 4, 4, 4).weight("w", new float[8], 1, 1, 2, 2, 2)
                .node("Conv", new String[] {"x", "w"}, new String[] {"y"}).output("y").build();
        assertThatThrownBy(() -> OnnxCompiler.compile(m, defaults()))
                .hasMessageContaining("only 1-D and 2-D windows are supported, this one has 3");
    }

    @Test
    void anOpenDimensionBesidesTheBatchNeedsTheSampleShape() {
        byte[] m = new OnnxBuilder().input("x", -1, 3, -1, -1).node("Relu", new String[] {"x"}, new String[] {"y"})
                .output("y").build();
        assertThatThrownBy(() -> OnnxCompiler.compile(m, defaults()))
                .hasMessageContaining("model input 'x' [N, 3, N, N] has dynamic dimensions besides the batch")
                .hasMessageContaining("--input x::3xD1xD2");
    }

    @Test
    void aFixedFirstDimensionOtherThanOneIsNotTakenForTheBatch() {
        byte[] m = new OnnxBuilder().input("x", 3, 4).node("Relu", new String[] {"x"}, new String[] {"y"})
                .output("y").build();
        assertThatThrownBy(() -> OnnxCompiler.compile(m, defaults()))
                .hasMessageContaining("fixed first dimension of 3").hasMessageContaining("--no-batch-axis");
    }

    @Test
    void aReshapeTargetComputedFromDataIsRefused() {
        byte[] m = new OnnxBuilder().input("x", -1, 4).input("s", -1)
                .node("Reshape", new String[] {"x", "s"}, new String[] {"y"}).output("y").build();
        assertThatThrownBy(() -> OnnxCompiler.compile(m, defaults()))
                .hasMessageContaining("Reshape node 'reshape1'").hasMessageContaining("must be known at compile time");
    }

    @Test
    void garbageIsNotAnOnnxModel() {
        assertThatThrownBy(() -> OnnxCompiler.compile(new byte[] {1, 2, 3, 4, 5}, defaults()))
                .isInstanceOf(UnsupportedModelException.class).hasMessageContaining("not an ONNX model");
    }
}
