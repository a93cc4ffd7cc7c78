package org.greylite.daemon.config;

import picocli.CommandLine.Model.OptionSpec;

/**
 * Reads an option's description the way the reference page and {@code --print-config} need it. The
 * convention of greylited's descriptions: the default is stated once, as a parenthetical starting with
 * {@code (default} ({@code (default ${DEFAULT-VALUE})}, or words where the default is computed); the rest
 * says what the option does.
 */
public final class OptionText {

    private static final String DEFAULT_VALUE = "${DEFAULT-VALUE}";

    private OptionText() {
    }

    /** The description without its default parenthetical, on one line. */
    public static String sentence(OptionSpec o) {
        String d = description(o);
        int[] p = parenthetical(d);
        if (p != null) {
            d = d.substring(0, p[0]) + d.substring(p[1]);
        }
        // The parenthetical leaves a space before the punctuation that followed it.
        d = d.replaceAll("\\s+", " ").replaceAll(" ([.,;:])(?= |$)", "$1").strip();
        return d.isEmpty() || d.endsWith(".") ? d : d + ".";
    }

    /** The default as the description states it, else the declared default; "off" for a flag; null for none. */
    public static String defaultText(OptionSpec o) {
        String d = description(o);
        int[] p = parenthetical(d);
        if (p != null) {
            String inside = d.substring(p[0] + 1, p[1] - 1).substring("default".length());
            inside = inside.startsWith(":") ? inside.substring(1) : inside;
            return inside.strip();
        }
        if (o.defaultValue() != null) {
            return o.defaultValue();
        }
        return o.arity().max() == 0 && !o.usageHelp() && !o.versionHelp() ? "off" : null;
    }

    /** The description's lines joined, with the declared default (not a configured one) in place of its variable. */
    private static String description(OptionSpec o) {
        String d = String.join(" ", o.description());
        String declared = o.defaultValue();
        return d.replace(DEFAULT_VALUE, declared == null ? "none" : declared);
    }

    /**
     * [start, end) of the "(default ...)" parenthetical, parentheses balanced, or null. It ends a clause
     * (the end, or '.', ';' or ',' follows): "THRESHOLD (default 0) is ..." is about a part of the value,
     * not the option's default.
     */
    private static int[] parenthetical(String d) {
        int[] found = null;
        for (int start = d.indexOf("(default"); start >= 0; start = d.indexOf("(default", start + 1)) {
            int depth = 0;
            for (int i = start; i < d.length(); i++) {
                char c = d.charAt(i);
                if (c == '(') {
                    depth++;
                } else if (c == ')' && --depth == 0) {
                    if (i + 1 == d.length() || ".;,".indexOf(d.charAt(i + 1)) >= 0) {
                        found = new int[] {start, i + 1};
                    }
                    break;
                }
            }
        }
        return found;
    }
}
