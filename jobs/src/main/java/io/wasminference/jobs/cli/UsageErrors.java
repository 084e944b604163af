package io.wasminference.jobs.cli;

import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Picocli's parse errors in the tool's words: {@code missing required option --input}, {@code unknown option --x}. */
public final class UsageErrors {
    private UsageErrors() {}

    /**
     * What was wrong with the arguments.
     *
     * @param args the arguments as given, to tell an option given without its value from one not given at all
     */
    public static String message(CommandLine.ParameterException e, String[] args) {
        if (e instanceof CommandLine.MissingParameterException missing) {
            List<String> parts = new ArrayList<>();
            for (ArgSpec arg : missing.getMissing()) {
                if (arg instanceof OptionSpec option) {
                    String name = option.longestName();
                    boolean given = Arrays.stream(args).anyMatch(a -> a.equals(name) || a.startsWith(name + "="));
                    parts.add(given ? "option " + name + " needs a value" : "missing required option " + name);
                } else {
                    parts.add("missing " + arg.paramLabel());
                }
            }
            return String.join("; ", parts);
        }
        if (e instanceof CommandLine.UnmatchedArgumentException unmatched && !unmatched.getUnmatched().isEmpty()) {
            String first = unmatched.getUnmatched().get(0);
            if (e.getCommandLine().getParent() == null && !first.startsWith("-")) {
                return "unknown command '" + first + "'";
            }
            return first.startsWith("-") ? "unknown option " + first : "unexpected argument '" + first + "'";
        }
        return e.getMessage();
    }
}
