package org.greylite.text;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Text that came from outside (an SMTP client's HELO and envelope, an upstream's reply, a policy request, a PTR
 * name, a greydb row written from any of these): how its bytes become text, and how that text may be shown in a
 * log line or on a terminal. Every program and every output goes through here, so that a client cannot forge a
 * log line or turn what an administrator reads around, and so that one name reads the same in every line.
 *
 * <h2>Bytes to text</h2>
 * UTF-8 when the bytes are valid UTF-8, else one character per byte (ISO-8859-1): {@link #fromBytes}. An SMTPUTF8
 * client (RFC 6531) sends UTF-8, and so do most others that send 8-bit text at all; read so, a name is stored,
 * matched by the suspicion file (itself UTF-8) and shown as the administrator writes it. Bytes that are not UTF-8
 * keep one character each, so that nothing is lost, two different names never become one (a decoder's
 * replacement character would merge them) and each stray byte shows as one character. Reading everything as
 * ISO-8859-1 was rejected: a UTF-8 name would show as two characters a letter ({@code Ã©}) in the log and in
 * greylitectl.
 *
 * <h2>Text to a log line or terminal</h2>
 * {@link #unsafe} characters become {@code '?'}, as Postfix shows them: every control character (C0, DEL and the
 * C1 range 0x80-0x9f, which terminals take for escape sequences and in which NEL ends a line), the line and
 * paragraph separators U+2028 and U+2029, and the bidirectional formatting characters (U+061C, U+200E, U+200F,
 * U+202A-U+202E, U+2066-U+2069), with which a value can show its text, and the text after it, reordered.
 * Other invisible characters (the zero-width joiners) stay: scripts need them, IDNA allows them in names, and
 * they neither break a line nor move text. Printable non-ASCII text stays as it is.
 */
public final class ClientText {

    /** What a cut text ends with, so that a reader knows there was more. */
    public static final String CUT = "...";

    /** The longest value a log line's field shows. */
    public static final int FIELD_LENGTH = 256;

    private ClientText() {
    }

    /** {@code length} bytes from {@code offset} as text: UTF-8 when they are valid UTF-8, else a character a byte. */
    public static String fromBytes(byte[] bytes, int offset, int length) {
        if (ascii(bytes, offset, length)) {
            return new String(bytes, offset, length, StandardCharsets.US_ASCII);
        }
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes, offset, length)).toString();
        } catch (CharacterCodingException e) {
            return new String(bytes, offset, length, StandardCharsets.ISO_8859_1);
        }
    }

    /**
     * As {@link #fromBytes}, for bytes held one character a byte (ISO-8859-1), as protocol lines are read so
     * that they can be forwarded unchanged. The usual ASCII text comes back as it is, without a copy.
     */
    public static String fromOctets(String octets) {
        for (int i = 0; i < octets.length(); i++) {
            if (octets.charAt(i) >= 0x80) {
                byte[] b = octets.getBytes(StandardCharsets.ISO_8859_1);
                return fromBytes(b, 0, b.length);
            }
        }
        return octets;
    }

    /**
     * The lines of an administrator's file that the program replaced read as bytes (postgrey's whitelists,
     * greydaemon's {@code -w}): a byte at a time, never refused, so that a Latin-1 comment cannot stop the start;
     * each line then UTF-8 when it is valid UTF-8, as a client's text is taken ({@link #fromOctets}).
     */
    public static List<String> readLines(Path file) throws IOException {
        return Files.readAllLines(file, StandardCharsets.ISO_8859_1).stream().map(ClientText::fromOctets).toList();
    }

    /** A character that must not reach a log line or a terminal as it is (see the class comment). */
    public static boolean unsafe(char c) {
        if (c < 0x20 || c == 0x7f) {
            return true;
        }
        if (c < 0x80) {
            return false;
        }
        return c <= 0x9f
                || c == '\u2028' || c == '\u2029'
                || c == '\u061c' || c == '\u200e' || c == '\u200f'
                || c >= '\u202a' && c <= '\u202e'
                || c >= '\u2066' && c <= '\u2069';
    }

    /** The text with every unsafe character as '?': a table cell, a value quoted in a message. */
    public static String printable(String s) {
        return printable(s, Integer.MAX_VALUE);
    }

    /** As {@link #printable(String)}, cut to {@code max} characters and then ending in {@link #CUT}. */
    public static String printable(String s, int max) {
        return shown(s, max, false);
    }

    /**
     * A value in a log line's {@code key=value} fields: as {@link #printable(String)}, with spaces (any Unicode
     * space, the no-break ones too) as '?' as well, so that a value cannot show as two fields, and cut to
     * {@link #FIELD_LENGTH} characters.
     */
    public static String field(String s) {
        return shown(s, FIELD_LENGTH, true);
    }

    private static String shown(String s, int max, boolean field) {
        int end = s.length() <= max ? s.length() : cutAt(s, max);
        int i = 0;
        while (i < end && !hidden(s.charAt(i), field)) {
            i++;
        }
        if (i == s.length()) {
            return s; // the usual case: nothing to change, no copy
        }
        StringBuilder b = new StringBuilder(end + CUT.length()).append(s, 0, i);
        for (; i < end; i++) {
            char c = s.charAt(i);
            b.append(hidden(c, field) ? '?' : c);
        }
        return end < s.length() ? b.append(CUT).toString() : b.toString();
    }

    private static boolean hidden(char c, boolean field) {
        return unsafe(c) || field && (c == ' ' || c >= 0x80 && Character.isSpaceChar(c));
    }

    /** Where to cut for at most {@code max} characters: not between the two halves of a surrogate pair. */
    private static int cutAt(String s, int max) {
        return max > 0 && Character.isHighSurrogate(s.charAt(max - 1)) ? max - 1 : max;
    }

    private static boolean ascii(byte[] b, int offset, int length) {
        for (int i = offset; i < offset + length; i++) {
            if (b[i] < 0) {
                return false;
            }
        }
        return true;
    }
}
