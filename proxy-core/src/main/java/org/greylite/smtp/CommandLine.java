package org.greylite.smtp;

import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Optional;

import org.greylite.text.ClientText;

/**
 * One command line from the client: its exact bytes (forwarded unchanged) and its parsed parts.
 *
 * @param raw  the line as received, with its line ending
 * @param verb the command word in upper case ("" for an empty line)
 * @param args what follows the verb, trimmed
 */
public record CommandLine(byte[] raw, String verb, String args) {

    /** Parses a raw line (ending in LF or CRLF). */
    public static CommandLine parse(byte[] raw) {
        int end = raw.length;
        while (end > 0 && (raw[end - 1] == '\n' || raw[end - 1] == '\r')) {
            end--;
        }
        String text = new String(raw, 0, end, StandardCharsets.ISO_8859_1);
        int sp = 0;
        while (sp < text.length() && !isWhiteSpace(text.charAt(sp))) {
            sp++;
        }
        String verb = text.substring(0, sp).toUpperCase(Locale.ROOT);
        return new CommandLine(raw, verb, text.substring(sp).trim());
    }

    /**
     * True when the line begins with a space or a TAB (before any command word). Some servers skip such white space
     * and run the command that follows, so the line must not pass as an unknown command.
     */
    public boolean beginsWithWhiteSpace() {
        return raw.length > 0 && (raw[0] == ' ' || raw[0] == '\t');
    }

    /** True when the line holds bytes no SMTP command may contain (NUL and other controls but TAB). */
    public boolean hasControlCharacters() {
        for (int i = 0; i < raw.length; i++) {
            int b = raw[i] & 0xff;
            boolean lineEnd = (b == '\r' || b == '\n') && i >= raw.length - 2;
            if ((b < 0x20 && b != '\t' && !lineEnd) || b == 0x7f) {
                return true;
            }
        }
        return false;
    }

    /**
     * The address of {@code MAIL FROM:<a>} or {@code RCPT TO:<a>}: the part between the angle
     * brackets (lenient: a space after the colon and a missing bracket pair are accepted), without
     * ESMTP parameters. Empty for the null sender {@code <>}; absent when the syntax is unusable. Read as
     * {@link ClientText#fromOctets} reads client text: an SMTPUTF8 address (RFC 6531) as the UTF-8 it is, so that it
     * is stored, logged and found by greylitectl as the administrator writes it.
     *
     * <p>Absent too when an upstream could read another address from the line than this one: the address decided
     * must be the one delivered. qmail-smtpd takes what follows the first {@code <} anywhere on the line ({@code
     * RCPT TO:postmaster <victim@example.com>} is a RCPT to the victim) and a backslash as an escape anywhere;
     * Postfix drops RFC 822 comments ({@code <(>)victim@example.com>} is a RCPT to the victim). So a path without
     * brackets may contain none of {@code <>()"\} and no {@code <} may follow it; a path in brackets may hold no
     * {@code <}, {@code (}, {@code )} or backslash outside a quoted local part, and ends the line or is followed
     * by white space (its ESMTP parameters). RFC 5321 allows none of these in a path; no real client sends them.
     *
     * @param keyword "FROM" or "TO"
     */
    public Optional<String> pathArgument(String keyword) {
        String a = args;
        if (a.length() < keyword.length() + 1
                || !a.regionMatches(true, 0, keyword, 0, keyword.length())
                || a.charAt(keyword.length()) != ':') {
            return Optional.empty();
        }
        a = a.substring(keyword.length() + 1).trim();
        if (a.startsWith("<")) {
            int close = closingBracket(a);
            if (close < 0 || (close + 1 < a.length() && !isWhiteSpace(a.charAt(close + 1)))) {
                return Optional.empty();
            }
            return Optional.of(ClientText.fromOctets(a.substring(1, close)));
        }
        String bare = a.substring(0, wordEnd(a));
        if (bare.isEmpty() || a.indexOf('<') >= 0 || containsAny(bare, ">()\"\\")) {
            return Optional.empty();
        }
        return Optional.of(ClientText.fromOctets(bare));
    }

    /**
     * Whether the ESMTP parameters after the path of {@code MAIL FROM:<a>} or {@code RCPT TO:<a>} include {@code name}
     * (any case, with or without a value: {@code PRDR}, {@code SIZE=1000}). When the path cannot be read, every word
     * after the keyword counts as a parameter: an upstream reading the line leniently might take any of them as one.
     *
     * @param keyword "FROM" or "TO"
     */
    public boolean hasParameter(String keyword, String name) {
        String rest = args;
        if (rest.regionMatches(true, 0, keyword + ":", 0, keyword.length() + 1)) {
            rest = rest.substring(keyword.length() + 1).trim();
            int close = rest.startsWith("<") ? closingBracket(rest) : -1;
            if (close >= 0) {
                rest = rest.substring(close + 1);
            } else if (pathArgument(keyword).isPresent()) {
                rest = rest.substring(wordEnd(rest));
            }
        }
        for (String word : rest.trim().split("[ \t]+")) {
            if (word.equalsIgnoreCase(name) || word.regionMatches(true, 0, name + "=", 0, name.length() + 1)) {
                return true;
            }
        }
        return false;
    }

    private static int wordEnd(String a) {
        int end = 0;
        while (end < a.length() && !isWhiteSpace(a.charAt(end))) {
            end++;
        }
        return end;
    }

    /**
     * The address of {@code MAIL FROM:<a>}, as {@link #pathArgument} reads it, and empty for the null path however
     * it is spelt ({@code <>}, {@code < >}, {@code <"">}, {@code <@relay.example:>}: {@link NullPath}), as the
     * upstream takes it: a bounce so spelt is the null sender's, decided at DATA and keyed as {@code <>}.
     */
    public Optional<String> senderArgument() {
        return pathArgument("FROM").map(address -> NullPath.namesNoMailbox(address) ? "" : address);
    }

    /**
     * The address of {@code RCPT TO:<a>}, as {@link #pathArgument} reads it, and absent also when the path is empty
     * ({@code <>}, {@code < >}, {@code <"">}, {@code <@relay.example:>}: {@link NullPath}): the null path is a
     * sender's only (RFC 5321 4.1.2 and 4.5.5), no mailbox anyone delivers to. Postfix answers such a RCPT {@code 501
     * 5.1.3}; greylisted as a recipient, it was told to retry later, a triplet was written for nobody, and the retry
     * met the 501 after the delay.
     */
    public Optional<String> recipientArgument() {
        return pathArgument("TO").filter(address -> !NullPath.namesNoMailbox(address));
    }

    private static boolean isWhiteSpace(char ch) {
        return ch == ' ' || ch == '\t';
    }

    private static boolean containsAny(String s, String chars) {
        for (int i = 0; i < s.length(); i++) {
            if (chars.indexOf(s.charAt(i)) >= 0) {
                return true;
            }
        }
        return false;
    }

    /**
     * Where the path that {@code a} opens with '<' ends: the first '>' outside a quoted local part
     * ({@code <"a>b"@example.org>}, RFC 5321 4.1.2), a backslash in quotes escaping the next character; -1 when none,
     * or when a character upstreams read differently (see {@link #pathArgument}) comes before it outside quotes.
     */
    private static int closingBracket(String a) {
        boolean quoted = false;
        for (int i = 1; i < a.length(); i++) {
            char ch = a.charAt(i);
            if (quoted && ch == '\\') {
                i++;
            } else if (ch == '"') {
                quoted = !quoted;
            } else if (!quoted && ch == '>') {
                return i;
            } else if (!quoted && (ch == '<' || ch == '(' || ch == ')' || ch == '\\')) {
                return -1;
            }
        }
        return -1;
    }
}
