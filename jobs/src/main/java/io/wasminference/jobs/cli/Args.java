package io.wasminference.jobs.cli;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Minimal {@code --key value} / {@code --flag} parser for the command-line tool; rejects unknown options. */
public final class Args {
    private final List<String> positional = new ArrayList<>();
    private final Map<String, String> options = new HashMap<>();

    private Args() {}

    /**
     * @param valued options that take a value
     * @param flags options without a value
     * @throws UsageException on an unknown option or a missing value
     */
    public static Args parse(String[] argv, int from, Set<String> valued, Set<String> flags) {
        Args a = new Args();
        for (int i = from; i < argv.length; i++) {
            String arg = argv[i];
            if (arg.startsWith("--")) {
                String key = arg.substring(2);
                String value = null;
                int eq = key.indexOf('=');
                if (eq >= 0) {
                    value = key.substring(eq + 1);
                    key = key.substring(0, eq);
                }
                if (flags.contains(key) && value == null) {
                    a.options.put(key, "true");
                } else if (valued.contains(key)) {
                    if (value == null) {
                        if (i + 1 >= argv.length) {
                            throw new UsageException("option --" + key + " needs a value");
                        }
                        value = argv[++i];
                    }
                    a.options.put(key, value);
                } else {
                    throw new UsageException("unknown option --" + key);
                }
            } else {
                a.positional.add(arg);
            }
        }
        return a;
    }

    public List<String> positional() {
        return positional;
    }

    public String get(String key, String fallback) {
        return options.getOrDefault(key, fallback);
    }

    public String require(String key) {
        String v = options.get(key);
        if (v == null) {
            throw new UsageException("missing required option --" + key);
        }
        return v;
    }

    public boolean flag(String key) {
        return options.containsKey(key);
    }

    public int intValue(String key, int fallback) {
        String v = options.get(key);
        if (v == null) {
            return fallback;
        }
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new UsageException("--" + key + " must be an integer, got '" + v + "'");
        }
    }

    /** A command-line mistake: the tool prints the message and the usage, and exits with status 64. */
    public static final class UsageException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public UsageException(String message) {
            super(message);
        }
    }
}
