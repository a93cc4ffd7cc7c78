package org.greylite.suspicion;

/**
 * Quotes client-supplied text in explanations: {@code 'text'}, a quote or backslash in it escaped, so that where
 * the value ends is clear. Nothing else is changed here: what may reach a terminal is decided where an
 * explanation is printed (greylitectl, through proxy-core's {@code ClientText}), the one place that decides it
 * for every output; this module sits below proxy-core and cannot use it.
 */
final class Quoting {

    private Quoting() {
    }

    static String quote(String text) {
        StringBuilder out = new StringBuilder(text.length() + 2).append('\'');
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\'' || c == '\\') {
                out.append('\\');
            }
            out.append(c);
        }
        return out.append('\'').toString();
    }
}
