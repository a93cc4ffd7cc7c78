package org.greylite.testing;

import static java.nio.charset.StandardCharsets.US_ASCII;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/**
 * An SMTP server's replies read from a stream, byte by byte so that nothing after the reply is consumed
 * (the tests that use it go on to read the stream themselves, or to see it closed): whether the server is
 * on a socket or on a program's standard output.
 */
public final class SmtpLines {

    private SmtpLines() {
    }

    /**
     * A command line as a client sends it: {@code parts} (text as UTF-8, or raw bytes a client may send, valid
     * UTF-8 or not) followed by CRLF.
     */
    public static byte[] command(Object... parts) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (Object p : parts) {
            b.writeBytes(p instanceof byte[] bytes ? bytes : ((String) p).getBytes(StandardCharsets.UTF_8));
        }
        b.writeBytes(new byte[] {'\r', '\n'});
        return b.toByteArray();
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
