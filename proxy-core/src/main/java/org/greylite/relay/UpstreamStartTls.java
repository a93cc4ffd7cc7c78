package org.greylite.relay;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

import org.greylite.smtp.Reply;
import org.greylite.smtp.ReplyAssembler;
import org.greylite.smtp.SmtpProtocolException;

/**
 * STARTTLS toward the upstream (greylited's {@code --upstream-tls starttls}): before the client hears the
 * upstream's greeting, the proxy says EHLO to the upstream itself, asks for STARTTLS and starts TLS; only then is the greeting handed to the relay, so the
 * client's own EHLO, and everything after it, goes to the upstream encrypted. An upstream that does not offer
 * STARTTLS, refuses it, or fails the handshake fails the session ({@code 421} to the client, a log line
 * saying why): once TLS is asked for, mail never goes to the upstream in clear.
 *
 * <p>A greeting other than 220 (a 554 or 421 from a busy upstream) is handed over as it is: there is no
 * session to protect.
 *
 * <p>The dialogue is the relay's; only starting TLS on the connection is the transport's ({@link Leg}), so any
 * transport that can put its upstream connection under TLS can use it.
 */
public final class UpstreamStartTls {

    /** Why the upstream's side could not be put under TLS. */
    public static final class UpstreamTlsException extends IOException {
        UpstreamTlsException(String message) {
            super(message);
        }
    }

    private enum Step { GREETING, EHLO, STARTTLS, HANDSHAKE, DONE }

    /** What the step needs from the transport. */
    public interface Leg {
        /** Writes {@code bytes} (a command line with its CRLF) to the upstream. */
        void send(byte[] bytes);

        /** Starts TLS on the upstream's connection: the handshake starts, and its end is told to {@link #onSecured()}. */
        void startTls();
    }

    private final RelaySession relay;
    private final Leg leg;
    private final String ehloName;
    private final String upstreamName;
    private final ReplyAssembler replies = new ReplyAssembler(64 * 1024);
    private Step step = Step.GREETING;
    private byte[] greeting;

    /**
     * @param ehloName     the name the proxy gives in its EHLO (greylited's --hostname)
     * @param upstreamName the upstream as the log names it, HOST:PORT
     */
    public UpstreamStartTls(RelaySession relay, Leg leg, String ehloName, String upstreamName) {
        this.relay = relay;
        this.leg = leg;
        this.ehloName = ehloName;
        this.upstreamName = upstreamName;
    }

    /** Whether the upstream's bytes are still for this step rather than for the relay. */
    public synchronized boolean active() {
        return step != Step.DONE;
    }

    /** Bytes from the upstream, before TLS. */
    public void onData(ByteBuffer bytes) {
        String failure;
        byte[] passOn = null;
        synchronized (this) {
            if (step == Step.DONE) {
                return;
            }
            StringBuilder why = new StringBuilder();
            try {
                replies.feed(bytes, r -> {
                    if (why.length() == 0 && step != Step.DONE) {
                        why.append(onReply(r));
                    }
                });
            } catch (SmtpProtocolException e) {
                why.append("the upstream ").append(upstreamName).append(" broke the protocol: ").append(e.getMessage());
            }
            failure = why.length() == 0 ? null : why.toString();
            if (failure != null) {
                step = Step.DONE;
            } else if (step == Step.DONE) {
                passOn = greeting; // not a 220: relayed as it is, without TLS
            }
        }
        // Outside this lock: the relay takes its own, and calls back into the transport.
        if (failure != null) {
            relay.onUpstreamConnectFailed(new UpstreamTlsException(failure));
        } else if (passOn != null) {
            relay.onUpstreamData(ByteBuffer.wrap(passOn));
        }
    }

    /** Acts on one reply; returns why TLS cannot be had, or "" to go on. */
    private String onReply(Reply r) {
        switch (step) {
            case GREETING:
                greeting = r.raw();
                if (r.code() != 220) {
                    step = Step.DONE;
                    return "";
                }
                leg.send(line("EHLO " + ehloName));
                step = Step.EHLO;
                return "";
            case EHLO:
                if (r.code() != 250) {
                    return "the upstream " + upstreamName + " refused greylited's EHLO: " + r;
                }
                if (!offersStartTls(r)) {
                    return "the upstream " + upstreamName + " does not offer STARTTLS (--upstream-tls starttls is set);"
                            + " its EHLO reply: " + r;
                }
                leg.send(line("STARTTLS"));
                step = Step.STARTTLS;
                return "";
            case STARTTLS:
                if (r.code() != 220) {
                    return "the upstream " + upstreamName + " refused STARTTLS: " + r;
                }
                step = Step.HANDSHAKE;
                leg.startTls();
                return "";
            default:
                // Bytes after the 220 to STARTTLS and before the handshake were sent in clear: not to be trusted.
                return "the upstream " + upstreamName + " sent a reply where the TLS handshake should begin: " + r;
        }
    }

    /** The handshake has succeeded: the client may now hear the greeting. */
    public void onSecured() {
        byte[] g;
        synchronized (this) {
            if (step != Step.HANDSHAKE) {
                return;
            }
            step = Step.DONE;
            g = greeting;
        }
        relay.onUpstreamData(ByteBuffer.wrap(g));
    }

    /** The upstream's session failed (the handshake, typically); ignored once the relay has the session. */
    public void onFailure(Throwable cause) {
        synchronized (this) {
            if (step == Step.DONE) {
                return;
            }
            step = Step.DONE;
        }
        String m = cause.getMessage() != null ? cause.getMessage() : cause.getClass().getSimpleName();
        relay.onUpstreamConnectFailed(new UpstreamTlsException("TLS with the upstream " + upstreamName + " failed: " + m));
    }

    private static boolean offersStartTls(Reply ehlo) {
        for (String line : ehlo.lines().subList(1, ehlo.lines().size())) {
            String keyword = line.strip().split("[ =]", 2)[0];
            if (keyword.toUpperCase(Locale.ROOT).equals("STARTTLS")) {
                return true;
            }
        }
        return false;
    }

    private static byte[] line(String command) {
        return (command + "\r\n").getBytes(StandardCharsets.US_ASCII);
    }
}
