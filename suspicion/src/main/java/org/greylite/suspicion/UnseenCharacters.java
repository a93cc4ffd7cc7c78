package org.greylite.suspicion;

/**
 * Characters of a suspicion line that a terminal or an editor does not show for what they are: controls, spaces
 * other than the blank (U+00A0 NO-BREAK SPACE, pasted from a web page or a word processor) and invisible format
 * characters (U+200B ZERO WIDTH SPACE, a stray U+FEFF). Fields are separated by spaces and tabs only, so such a
 * character glues two fields together; quoted as it is, the reason read {@code bad number '3 r'}, which looks like a
 * blank where the parser saw none. In a reason they are written {@code \u00a0}, and the first one is named.
 */
final class UnseenCharacters {

    private UnseenCharacters() {
    }

    /** Whether {@code c} is shown for what it is: anything but the characters described above (a tab is shown). */
    static boolean unseen(char c) {
        if (c == '\t') {
            return false;
        }
        if (Character.isISOControl(c)) {
            return true;
        }
        int type = Character.getType(c);
        return (type == Character.SPACE_SEPARATOR && c != ' ') || type == Character.LINE_SEPARATOR
                || type == Character.PARAGRAPH_SEPARATOR || type == Character.FORMAT;
    }

    /** {@code text} with each unseen character written as {@code \}{@code uXXXX}. */
    static String escape(String text) {
        StringBuilder out = null;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (unseen(c)) {
                if (out == null) {
                    out = new StringBuilder(text.length() + 16).append(text, 0, i);
                }
                out.append(String.format("\\u%04x", (int) c));
            } else if (out != null) {
                out.append(c);
            }
        }
        return out == null ? text : out.toString();
    }

    /**
     * The reason a line was not loaded, with its unseen characters escaped and, when the line holds any, the first one
     * named, saying that only spaces and tabs separate fields.
     */
    static String reason(String reason, String line) {
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (unseen(c)) {
                String name = Character.getName(c);
                return escape(reason) + " (the line holds " + String.format("U+%04X", (int) c)
                        + (name == null ? "" : " " + name) + ", which is not a space or a tab:"
                        + " fields are separated by spaces and tabs only)";
            }
        }
        return reason;
    }
}
