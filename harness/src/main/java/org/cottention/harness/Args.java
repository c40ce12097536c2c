package org.cottention.harness;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Strict command-line flags: {@code --name value}, {@code --name=value} and boolean {@code --name}. An unknown
 * flag, a missing value, a repeated flag or a stray argument is a {@link CliException} that names it.
 */
public final class Args {
    private final String command;
    private final Map<String, String> values = new LinkedHashMap<>();

    private Args(String command) {
        this.command = command;
    }

    /**
     * @param command     the subcommand, for messages
     * @param valued      flags that take a value (without the leading --)
     * @param booleans    flags that take none
     */
    public static Args parse(String command, String[] argv, Set<String> valued, Set<String> booleans) {
        Args a = new Args(command);
        for (int i = 0; i < argv.length; i++) {
            String arg = argv[i];
            if (!arg.startsWith("--") || arg.length() == 2) {
                throw new CliException(command + ": unexpected argument '" + arg + "'; flags start with -- (see "
                        + "./cottention " + command + " --help)");
            }
            String name = arg.substring(2), value = null;
            int eq = name.indexOf('=');
            if (eq >= 0) {
                value = name.substring(eq + 1);
                name = name.substring(0, eq);
            }
            if (valued.contains(name)) {
                if (value == null) {
                    if (i + 1 >= argv.length || argv[i + 1].startsWith("--")) {
                        throw new CliException(command + ": --" + name + " needs a value" + (i + 1 < argv.length
                                ? " (a value that starts with -- goes as --" + name + "=VALUE)" : ""));
                    }
                    value = argv[++i];
                }
            } else if (booleans.contains(name)) {
                if (value != null) throw new CliException(command + ": --" + name + " takes no value");
                value = "true";
            } else {
                Set<String> known = new TreeSet<>(valued);
                known.addAll(booleans);
                throw new CliException(command + ": unknown flag --" + name + "; known flags: --"
                        + String.join(", --", known));
            }
            if (a.values.put(name, value) != null) throw new CliException(command + ": --" + name + " given twice");
        }
        return a;
    }

    public boolean has(String name) {
        return values.containsKey(name);
    }

    public String get(String name) {
        return values.get(name);
    }

    public String get(String name, String fallback) {
        return values.getOrDefault(name, fallback);
    }

    public String required(String name) {
        String v = values.get(name);
        if (v == null) throw new CliException(command + ": --" + name + " is required");
        return v;
    }

    public int positiveInt(String name, int fallback) {
        String v = values.get(name);
        if (v == null) return fallback;
        try {
            int x = Integer.parseInt(v);
            if (x > 0) return x;
        } catch (NumberFormatException e) {
            // fall through
        }
        throw new CliException(command + ": --" + name + " must be a positive integer, got '" + v + "'");
    }

    public String oneOf(String name, String fallback, String... allowed) {
        String v = values.getOrDefault(name, fallback);
        for (String a : allowed) if (a.equals(v)) return v;
        throw new CliException(command + ": --" + name + " must be one of " + String.join("|", allowed) + ", got '"
                + v + "'");
    }
}
