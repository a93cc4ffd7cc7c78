package org.greylite.smtp;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

import org.greylite.text.ClientText;

/**
 * Turns the bytes a server sends into whole replies, however the bytes were split: mid-line,
 * mid-CRLF, or a multi-line {@code 250-} reply cut anywhere. Lines end with LF (CR optional).
 */
public final class ReplyAssembler {

    /**
     * The most bytes one reply may take, all its lines together. Lines are bounded each, but a server that sends
     * {@code 250-} lines without end was kept whole in memory: one upstream took greylited's heap and every session
     * with it. A real reply is far shorter (an EHLO reply of 20 extensions is under 1 KB; RFC 5321 4.5.3.1.5 bounds a
     * line to 512 octets).
     */
    public static final int MAX_REPLY_BYTES = 64 * 1024;

    private final ByteQueue pending = new ByteQueue();
    private final int maxLine;
    private final List<String> lines = new ArrayList<>();
    private int replyBytes; // bytes of the reply under construction already parsed into lines

    /** @param maxLine longest reply line accepted, line ending included; a longer one is a protocol error */
    public ReplyAssembler(int maxLine) {
        this.maxLine = maxLine;
    }

    /**
     * Feeds bytes; every completed reply goes to {@code sink}.
     *
     * @throws SmtpProtocolException when the server sends something that is not an SMTP reply
     */
    public void feed(ByteBuffer bytes, Consumer<Reply> sink) throws SmtpProtocolException {
        pending.append(bytes);
        while (true) {
            int lf = pending.indexOf((byte) '\n', replyBytes);
            if (lf < 0) {
                if (pending.size() - replyBytes > maxLine) {
                    throw new SmtpProtocolException("reply line longer than " + maxLine + " bytes");
                }
                return;
            }
            int lineStart = replyBytes;
            if (lf + 1 - lineStart > maxLine) {
                // The same limit whether the line came in pieces (checked above) or whole.
                throw new SmtpProtocolException("reply line longer than " + maxLine + " bytes");
            }
            int lineEnd = lf > lineStart && pending.get(lf - 1) == '\r' ? lf - 1 : lf;
            int len = lineEnd - lineStart;
            // RFC 5321 4.2: the first digit is 2 to 5. Anything else is not a reply the relay could act on.
            if (len < 3 || !firstDigit(lineStart) || !digit(lineStart + 1) || !digit(lineStart + 2)
                    || (len > 3 && pending.get(lineStart + 3) != ' ' && pending.get(lineStart + 3) != '-')) {
                throw new SmtpProtocolException("not an SMTP reply line: " + printable(lineStart, len));
            }
            int code = (pending.get(lineStart) - '0') * 100 + (pending.get(lineStart + 1) - '0') * 10
                    + (pending.get(lineStart + 2) - '0');
            lines.add(len > 4 ? text(lineStart + 4, len - 4) : "");
            replyBytes = lf + 1;
            boolean last = len == 3 || pending.get(lineStart + 3) == ' ';
            if (!last && replyBytes > MAX_REPLY_BYTES) {
                throw new SmtpProtocolException("reply longer than " + MAX_REPLY_BYTES + " bytes (" + lines.size()
                        + " lines and more to come)");
            }
            if (last) {
                byte[] raw = pending.take(replyBytes);
                Reply reply = new Reply(code, lines, raw);
                lines.clear();
                replyBytes = 0;
                sink.accept(reply);
            }
        }
    }

    private boolean firstDigit(int i) {
        byte b = pending.get(i);
        return b >= '2' && b <= '5';
    }

    private boolean digit(int i) {
        byte b = pending.get(i);
        return b >= '0' && b <= '9';
    }

    private String text(int from, int len) {
        byte[] b = new byte[len];
        for (int i = 0; i < len; i++) {
            b[i] = pending.get(from + i);
        }
        return new String(b, StandardCharsets.ISO_8859_1);
    }

    private String printable(int from, int len) {
        return ClientText.printable(ClientText.fromOctets(text(from, Math.min(len, 60))));
    }
}
