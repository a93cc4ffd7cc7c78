package org.greylite.ctl;

import org.greylite.text.ClientText;

/** Just enough JSON to print flat objects: strings escaped per RFC 8259. */
final class Json {

    private Json() {
    }

    /** {@code s} as a JSON string, quotes included; {@code null} as {@code null}. */
    static String string(String s) {
        if (s == null) {
            return "null";
        }
        StringBuilder b = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                case '\b' -> b.append("\\b");
                case '\f' -> b.append("\\f");
                default -> {
                    // Control characters must be escaped; U+2028/U+2029 too, for readers that treat JSON as JavaScript;
                    // and every other character that must not reach a terminal as it is (C1, bidi overrides), so the
                    // output is safe to look at and still holds the text exactly.
                    if (ClientText.unsafe(c)) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"').toString();
    }
}
