package org.greylite.suspicion;

/** Shows client-supplied text in explanations safely: quoted, control characters escaped. */
final class Quoting {

    private Quoting() {
    }

    static String quote(String text) {
        StringBuilder out = new StringBuilder(text.length() + 2).append('\'');
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < ' ' || c == 0x7f) {
                out.append(String.format("\\x%02x", (int) c));
            } else if (c == '\'' || c == '\\') {
                out.append('\\').append(c);
            } else {
                out.append(c);
            }
        }
        return out.append('\'').toString();
    }
}
