package org.greylite.greylist;

/**
 * An envelope address as the upstream delivers it, for the engine's keys and the suspicion rules: a source route
 * ({@code @relay.example,@other.example:user@example.com}) dropped, as RFC 5321 C has a server do, and a quoted local
 * part that needs no quotes ({@code "user"@example.com}, {@code "us\er"@}) read without them, RFC 5321 4.1.2's same
 * mailbox. Keyed as written, such spellings were triplets of their own, and an {@code e} line's {@code r:^user@}
 * or {@code s:^user@} did not see them: a client could step round a rule by quoting, and, matching no line, be
 * auto-whitelisted. A quoted local part that does need its quotes (a space, an {@code @}, two dots) is kept as
 * written, as is anything that does not read as either form.
 */
public final class MailboxPath {

    /** RFC 5322 atext besides letters and digits. */
    private static final String ATEXT_SPECIALS = "!#$%&'*+-/=?^_`{|}~";

    private MailboxPath() {
    }

    public static String canonical(String address) {
        String mailbox = withoutSourceRoute(address);
        return mailbox.startsWith("\"") ? unquoted(mailbox) : mailbox;
    }

    /** The address after its source route, or the address itself when it has none (or not a well-formed one). */
    private static String withoutSourceRoute(String s) {
        if (!s.startsWith("@")) {
            return s;
        }
        int i = 0;
        int n = s.length();
        while (i < n && s.charAt(i) == '@') {
            i++;
            if (i < n && s.charAt(i) == '[') {
                int close = s.indexOf(']', i); // an address literal may hold colons: [IPv6:2001:db8::1]
                if (close < 0) {
                    return s;
                }
                i = close + 1;
            } else {
                while (i < n && s.charAt(i) != ',' && s.charAt(i) != ':') {
                    i++;
                }
            }
            if (i < n && s.charAt(i) == ',') {
                i++;
            } else if (i < n && s.charAt(i) == ':') {
                return s.substring(i + 1);
            } else {
                return s;
            }
        }
        return s;
    }

    /** {@code "local"@domain} as {@code local@domain} when local is a dot-atom; otherwise as written. */
    private static String unquoted(String s) {
        StringBuilder local = new StringBuilder();
        for (int i = 1; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 1 < s.length()) {
                local.append(s.charAt(++i));
            } else if (c == '"') {
                String rest = s.substring(i + 1);
                return (rest.isEmpty() || rest.startsWith("@")) && dotAtom(local) ? local + rest : s;
            } else {
                local.append(c);
            }
        }
        return s;
    }

    private static boolean dotAtom(CharSequence text) {
        if (text.length() == 0 || text.charAt(0) == '.' || text.charAt(text.length() - 1) == '.') {
            return false;
        }
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            boolean atext = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0x80
                    || ATEXT_SPECIALS.indexOf(c) >= 0;
            if (c == '.' ? text.charAt(i - 1) == '.' : !atext) {
                return false;
            }
        }
        return true;
    }
}
