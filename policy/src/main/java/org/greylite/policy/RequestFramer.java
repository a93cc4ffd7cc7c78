package org.greylite.policy;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.greylite.text.ClientText;

/**
 * Cuts one connection's bytes into policy requests: {@code name=value} lines, each ended by a newline, and an
 * empty line ending the request. Bytes may arrive split anywhere and several requests at once (a client may
 * pipeline). What breaks the protocol ends the parse for good, with a reason for the log: a line without
 * {@code =} or with an empty name, a request without attributes (an empty line alone), a line over
 * {@link #MAX_LINE} bytes, a request over {@link #MAX_REQUEST} bytes or {@link #MAX_ATTRIBUTES} attributes, a NUL,
 * a CR anywhere but at a line's end. Other control characters are part of a value: Postfix passes a client's
 * envelope on with them (refused, the client was told '451 4.3.5 Server configuration problem').
 *
 * <p>A value is read as the project reads all client text ({@link ClientText#fromBytes}): UTF-8 when it is valid
 * UTF-8, else a character a byte. Postfix passes the client's 8-bit envelope and HELO bytes on as they came when
 * {@code smtputf8_enable=no}: refused, such a request closed the connection unanswered, and Postfix deferred the
 * mail with its {@code smtpd_policy_service_default_action} at every retry, for good.
 *
 * <p>Postfix sends about 30 short attributes per request; the limits leave room for long certificate
 * subjects and SMTPUTF8 addresses while keeping a broken or hostile client from filling the heap.
 */
final class RequestFramer {

    static final int MAX_LINE = 8192;
    static final int MAX_REQUEST = 65536;
    static final int MAX_ATTRIBUTES = 200;

    /** The protocol was broken: {@link #getMessage()} says how and where, for the log. */
    static final class ProtocolException extends Exception {
        private static final long serialVersionUID = 1L;

        ProtocolException(String message) {
            super(message);
        }
    }

    private final byte[] line = new byte[MAX_LINE];
    private int lineLength;
    private int lineNumber = 1;
    private int requestBytes;
    private Map<String, String> attributes = new HashMap<>();

    /** The bytes of the request being read, not yet complete (0 between requests). */
    int unfinishedBytes() {
        return requestBytes;
    }

    /**
     * Consumes all of {@code in}, adding every request it completes to {@code out}.
     *
     * @throws ProtocolException at the first byte that breaks the protocol; requests completed before it are in {@code out}
     */
    void feed(ByteBuffer in, List<PolicyRequest> out) throws ProtocolException {
        feed(in, out, Integer.MAX_VALUE);
    }

    /**
     * Consumes {@code in} until {@code out} holds {@code max} requests; the bytes after the last request completed
     * stay in {@code in}, for a later call.
     *
     * @throws ProtocolException at the first byte that breaks the protocol; requests completed before it are in {@code out}
     */
    void feed(ByteBuffer in, List<PolicyRequest> out, int max) throws ProtocolException {
        if (out.size() >= max) {
            return;
        }
        while (in.hasRemaining()) {
            byte b = in.get();
            if (++requestBytes > MAX_REQUEST) {
                throw new ProtocolException("line " + lineNumber + ": request longer than " + MAX_REQUEST + " bytes");
            }
            if (b == '\n') {
                endOfLine(out);
                if (out.size() >= max) {
                    return; // asked at each line's end, where a request can complete, not at every byte
                }
                continue;
            }
            // Postfix's values are C strings: a NUL is never one of its bytes. Other control characters are: Postfix
            // passes a client's envelope on as it came but for CR and LF (it refuses those in an address), so a
            // MAIL FROM:<a^Ab@example.net> reaches us as sender=a^Ab@example.net, a request like any other. A CR is
            // allowed only as the last byte of a line (CRLF from a telnet-like client).
            if (b == 0) {
                throw new ProtocolException("line " + lineNumber + ": binary data (byte 0x"
                        + String.format("%02x", b & 0xff) + ")");
            }
            if (lineLength == MAX_LINE) {
                throw new ProtocolException("line " + lineNumber + ": longer than " + MAX_LINE + " bytes");
            }
            line[lineLength++] = b;
        }
    }

    private void endOfLine(List<PolicyRequest> out) throws ProtocolException {
        int n = lineLength;
        if (n > 0 && line[n - 1] == '\r') {
            n--;
        }
        boolean ascii = true;
        int eq = -1;
        for (int i = 0; i < n; i++) {
            byte b = line[i];
            if (b == '\r') {
                throw new ProtocolException("line " + lineNumber + ": binary data (byte 0x0d)");
            }
            if (b < 0) {
                ascii = false;
            } else if (b == '=' && eq < 0) {
                eq = i;
            }
        }
        lineLength = 0;
        if (n == 0) {
            if (attributes.isEmpty()) {
                // Postfix never sends one; answered, each would cost a warning, and a stream of newlines one per byte.
                throw new ProtocolException("line " + lineNumber + ": empty request (no attributes)");
            }
            out.add(new PolicyRequest(attributes));
            attributes = new HashMap<>();
            requestBytes = 0;
            lineNumber++;
            return;
        }
        String name;
        String value;
        if (ascii && eq > 0) {
            // Postfix's attributes are ASCII but for 8-bit addresses and names: made without a decoder, the cheap way.
            name = new String(line, 0, eq, StandardCharsets.ISO_8859_1);
            value = new String(line, eq + 1, n - eq - 1, StandardCharsets.ISO_8859_1);
        } else {
            String text = ClientText.fromBytes(line, 0, n);
            int at = text.indexOf('=');
            if (at < 0) {
                throw new ProtocolException("line " + lineNumber + ": no '=' in \"" + shorten(text) + "\"");
            }
            if (at == 0) {
                throw new ProtocolException("line " + lineNumber + ": attribute without a name in \"" + shorten(text) + "\"");
            }
            name = text.substring(0, at);
            value = text.substring(at + 1);
        }
        if (attributes.size() == MAX_ATTRIBUTES) {
            throw new ProtocolException("line " + lineNumber + ": more than " + MAX_ATTRIBUTES + " attributes in one request");
        }
        attributes.put(name, value);
        lineNumber++;
    }

    /** Client text in a log line: short, and without characters that could forge another line. */
    static String shorten(String s) {
        return ClientText.printable(s, 80);
    }
}
