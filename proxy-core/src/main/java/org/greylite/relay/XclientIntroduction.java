package org.greylite.relay;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;

import org.greylite.net.AddressText;
import org.greylite.smtp.Reply;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells the upstream who the client really is with Postfix's XCLIENT command, so that the upstream's own
 * access rules, logs and Received headers name the client instead of the proxy.
 *
 * <p>The dialogue, driven by {@link RelaySession} at the client's first HELO or EHLO: the proxy sends the
 * upstream {@code EHLO <the client's name>} (its own name when the client gave none); if the reply offers
 * XCLIENT, the proxy sends {@code XCLIENT ADDR=.. NAME=.. HELO=.. PROTO=..}; the upstream answers with a new
 * greeting (220) and now believes it talks to the client; the client's own HELO or EHLO follows, and only
 * its reply reaches the client. An upstream that does not offer XCLIENT, or refuses it, simply sees the proxy,
 * as without this option; a warning in the log says so.
 */
public final class XclientIntroduction {

    private static final Logger LOG = LoggerFactory.getLogger(XclientIntroduction.class);
    /** A misconfigured upstream would otherwise fill the log with one warning per session. */
    private static final AtomicBoolean WARNED = new AtomicBoolean();

    /** Postfix refuses attribute values longer than this. */
    static final int MAX_VALUE = 255;

    private final CompletionStage<String> clientName;

    /**
     * @param clientName the client's confirmed PTR name, "" when it has none; it may still be in flight, and
     *                   then the XCLIENT command waits for it (a lookup failure is sent as {@code [TEMPUNAVAIL]})
     */
    public XclientIntroduction(CompletionStage<String> clientName) {
        this.clientName = Objects.requireNonNull(clientName, "clientName");
    }

    CompletionStage<String> clientName() {
        return clientName;
    }

    /** Logs that a client could not be introduced: a warning the first time, then at debug level. */
    static void notUsed(String client, String why) {
        if (WARNED.compareAndSet(false, true)) {
            LOG.warn("XCLIENT not used, the upstream sees the proxy's address instead of client {}: {}"
                    + " (said once; later sessions log at debug level)", client, why);
        } else {
            LOG.debug("XCLIENT not used for client {}: {}", client, why);
        }
    }

    /** True when an EHLO reply lists the XCLIENT extension. */
    static boolean offeredBy(Reply ehloReply) {
        if (ehloReply.code() != 250) {
            return false;
        }
        for (int i = 1; i < ehloReply.lines().size(); i++) {
            String line = ehloReply.lines().get(i).toUpperCase(Locale.ROOT);
            if (line.equals("XCLIENT") || line.startsWith("XCLIENT ")) {
                return true;
            }
        }
        return false;
    }

    /**
     * The command line for a client.
     *
     * @param name  its confirmed name, "" for none, null when the lookup failed
     * @param helo  the argument of its HELO or EHLO: {@code [UNAVAILABLE]} when empty, as the probe carried the
     *              proxy's name, which Postfix would otherwise keep as the client's; left out when too long for
     *              the upstream (the probe carried it)
     * @param esmtp true when it said EHLO
     */
    static byte[] command(InetAddress client, String name, String helo, boolean esmtp) {
        StringBuilder b = new StringBuilder("XCLIENT ADDR=").append(address(client));
        b.append(" NAME=").append(name == null ? "[TEMPUNAVAIL]" : name.isEmpty() ? "[UNAVAILABLE]" : xtext(name));
        String heloValue = xtext(helo.strip());
        if (heloValue.isEmpty()) {
            b.append(" HELO=[UNAVAILABLE]");
        } else if (heloValue.length() <= MAX_VALUE) {
            b.append(" HELO=").append(heloValue);
        }
        b.append(" PROTO=").append(esmtp ? "ESMTP" : "SMTP").append("\r\n");
        return b.toString().getBytes(StandardCharsets.ISO_8859_1);
    }

    /**
     * The probe the proxy sends in place of the client's first greeting command, to learn whether XCLIENT is offered.
     *
     * @param helo the client's name, or the proxy's own when the client gave none; never empty
     */
    static byte[] probe(String helo) {
        return ("EHLO " + helo.strip() + "\r\n").getBytes(StandardCharsets.ISO_8859_1);
    }

    /** Postfix's form: {@code IPV6:} and the address without its scope; RFC 5952 text, as Postfix logs it. */
    private static String address(InetAddress a) {
        String text = AddressText.of(a.getAddress());
        return a instanceof Inet6Address ? "IPV6:" + text : text;
    }

    /** RFC 3461 xtext: '+', '=' and anything outside printable ASCII are written as +XX. */
    static String xtext(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c > 0x20 && c < 0x7f && c != '+' && c != '=') {
                b.append(c);
            } else {
                b.append('+').append(String.format("%02X", c & 0xff));
            }
        }
        return b.toString();
    }
}
