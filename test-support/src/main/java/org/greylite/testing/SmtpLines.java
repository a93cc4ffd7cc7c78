package org.greylite.testing;

import static java.nio.charset.StandardCharsets.US_ASCII;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * An SMTP server's replies read from a stream, byte by byte so that nothing after the reply is consumed
 * (the tests that use it go on to read the stream themselves, or to see it closed): whether the server is
 * on a socket or on a program's standard output.
 */
public final class SmtpLines {

    private SmtpLines() {
    }

    /** The last line of the next reply ("250 ok"), all its lines read; "EOF" when the stream ended first. */
    public static String reply(InputStream in) throws IOException {
        while (true) {
            String line = line(in);
            if (line == null) {
                return "EOF";
            }
            if (line.length() < 4 || line.charAt(3) != '-') {
                return line;
            }
        }
    }

    /** The next line without its CRLF (or LF), or null at the end of the stream. */
    public static String line(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) >= 0) {
            if (c == '\n') {
                String s = b.toString(US_ASCII);
                return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
            }
            b.write(c);
        }
        return null;
    }
}
