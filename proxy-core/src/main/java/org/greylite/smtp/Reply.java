package org.greylite.smtp;

import java.nio.charset.StandardCharsets;
import java.util.List;

import org.greylite.text.ClientText;

/**
 * One SMTP reply as the server sent it: its code, its text lines, and the exact bytes.
 *
 * @param code  the three-digit reply code
 * @param lines the text of each line after the code and separator, without line endings
 * @param raw   the bytes exactly as received (every line, with its line ending)
 */
public record Reply(int code, List<String> lines, byte[] raw) {

    public Reply {
        lines = List.copyOf(lines);
    }

    public boolean isPositive() {
        return code >= 200 && code < 400;
    }

    public boolean isPermanentFailure() {
        return code >= 500 && code < 600;
    }

    /**
     * Whether the server says it is closing the connection: 221 (RFC 5321 4.2.3, "service closing transmission
     * channel") or 421, to whatever command, not only to QUIT. Postfix says 221 to the commands of its
     * {@code smtpd_forbidden_commands} (a web scanner's {@code GET /}) and hangs up: a goodbye, not a failure.
     */
    public boolean announcesClose() {
        return code == 221 || code == 421;
    }

    /** A single-line reply built by the proxy itself, e.g. {@code local(451, "4.7.1 greylisted")}. */
    public static Reply local(int code, String text) {
        String line = code + " " + text + "\r\n";
        return new Reply(code, List.of(text), line.getBytes(StandardCharsets.US_ASCII));
    }

    /** For a log line: an upstream's text may repeat what a client sent, so it is shown as client text is. */
    @Override
    public String toString() {
        return code + " " + ClientText.printable(ClientText.fromOctets(String.join(" / ", lines)));
    }
}
