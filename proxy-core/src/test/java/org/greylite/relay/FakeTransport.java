package org.greylite.relay;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.greylite.smtp.Reply;
import org.greylite.smtp.ReplyAssembler;
import org.greylite.smtp.SmtpProtocolException;

/** Records what a {@link RelaySession} does to its two connections, in order. */
final class FakeTransport implements RelayTransport {

    /** Everything that happened, in order: "connect", "client: ...", "upstream: ...", "close client"... */
    final List<String> events = new ArrayList<>();
    private final ByteArrayOutputStream client = new ByteArrayOutputStream();
    private final ByteArrayOutputStream upstream = new ByteArrayOutputStream();
    int connects;
    /** Volatile: a test may poll it while the session runs on another thread. */
    volatile boolean clientClosed;
    /** The abandon flag of each closeUpstream call. */
    final List<Boolean> upstreamCloses = new ArrayList<>();
    final List<Boolean> pauses = new ArrayList<>();
    long scheduledDelay = -1;
    Runnable scheduled;
    /** Whether it can terminate TLS on the client's connection (as a transport with a certificate can). */
    boolean tlsAvailable;
    int tlsStarts;

    /**
     * Gives {@code session} the upstream's {@code text} one whole reply at a time (a piece after the last whole reply
     * as it is), as a real upstream answers: each reply only once the proxy has acted on the one before, so that a
     * script may hold the answer to a command the proxy sends only after an earlier reply (a RCPT waits for its
     * MAIL's).
     */
    static void repliesOneByOne(RelaySession session, String text) {
        int start = 0;
        int lineStart = 0;
        while (true) {
            int end = text.indexOf('\n', lineStart);
            if (end < 0) {
                break;
            }
            boolean last = end - lineStart < 4 || text.charAt(lineStart + 3) != '-';
            lineStart = end + 1;
            if (last) {
                session.onUpstreamData(ByteBuffer.wrap(text.substring(start, lineStart).getBytes(StandardCharsets.ISO_8859_1)));
                start = lineStart;
            }
        }
        if (start < text.length()) {
            session.onUpstreamData(ByteBuffer.wrap(text.substring(start).getBytes(StandardCharsets.ISO_8859_1)));
        }
    }

    @Override
    public synchronized void connectUpstream() {
        connects++;
        events.add("connect");
    }

    @Override
    public synchronized void toClient(byte[] bytes) {
        client.writeBytes(bytes);
        events.add("client: " + text(bytes));
    }

    @Override
    public synchronized void toUpstream(byte[] bytes) {
        upstream.writeBytes(bytes);
        events.add("upstream: " + text(bytes));
    }

    @Override
    public synchronized void closeClient() {
        clientClosed = true;
        events.add("close client");
    }

    @Override
    public synchronized void closeUpstream(boolean abandon) {
        upstreamCloses.add(abandon);
        events.add("close upstream" + (abandon ? " (abandon)" : ""));
    }

    @Override
    public synchronized void pauseClientInput(boolean paused) {
        pauses.add(paused);
    }

    @Override
    public synchronized void schedule(long delayMillis, Runnable task) {
        scheduledDelay = delayMillis;
        scheduled = task;
        events.add("schedule " + delayMillis);
    }

    @Override
    public boolean clientTlsAvailable() {
        return tlsAvailable;
    }

    /** Records the reply and the request; the test plays the handshake's end with RelaySession.onClientTlsStarted(). */
    @Override
    public synchronized void startClientTls(byte[] ready) {
        toClient(ready);
        tlsStarts++;
        events.add("start tls");
    }

    /** All bytes written to the client so far. */
    synchronized String clientText() {
        return text(client.toByteArray());
    }

    /** All bytes written to the upstream so far. */
    synchronized String upstreamText() {
        return text(upstream.toByteArray());
    }

    synchronized byte[] upstreamBytes() {
        return upstream.toByteArray();
    }

    /** The replies the client received, parsed. */
    synchronized List<Reply> clientReplies() {
        List<Reply> out = new ArrayList<>();
        try {
            new ReplyAssembler(64 * 1024).feed(ByteBuffer.wrap(client.toByteArray()), out::add);
        } catch (SmtpProtocolException e) {
            throw new AssertionError("the client received something that is not an SMTP reply: " + clientText(), e);
        }
        return out;
    }

    /** The codes of the replies the client received, in order. */
    synchronized List<Integer> clientCodes() {
        List<Integer> codes = new ArrayList<>();
        for (Reply r : clientReplies()) {
            codes.add(r.code());
        }
        return codes;
    }

    /** Forgets what was written so far (after the opening of a session). */
    synchronized void clear() {
        client.reset();
        upstream.reset();
        events.clear();
    }

    static String text(byte[] b) {
        return new String(b, StandardCharsets.ISO_8859_1);
    }
}
