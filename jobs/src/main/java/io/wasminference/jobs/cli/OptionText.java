package io.wasminference.jobs.cli;

import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.description.Formatter;
import org.apache.flink.configuration.description.TextElement;

import java.util.EnumSet;

/** The description of a Flink {@link ConfigOption} as plain text, for help texts and messages. */
public final class OptionText extends Formatter {
    private OptionText() {}

    /** The option's description, without markup. */
    public static String description(ConfigOption<?> option) {
        return new OptionText().format(option.description());
    }

    @Override
    protected void formatLink(StringBuilder state, String link, String description) {
        state.append(description).append(" (").append(link).append(')');
    }

    @Override
    protected void formatLineBreak(StringBuilder state) {
        state.append('\n');
    }

    @Override
    protected void formatText(StringBuilder state, String format, String[] elements,
            EnumSet<TextElement.TextStyle> styles) {
        state.append(String.format(format, (Object[]) elements));
    }

    @Override
    protected void formatList(StringBuilder state, String[] entries) {
        for (String entry : entries) {
            state.append("\n- ").append(entry);
        }
    }

    @Override
    protected Formatter newInstance() {
        return new OptionText();
    }
}
