package org.greylite.relay;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.CompletionStage;

import org.greylite.config.RepeatedWarning;
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
 * its reply reaches the client.
 *
 * <p>An upstream that does not offer XCLIENT to the proxy, or refuses it for this client, would see the proxy's
 * address instead, and an upstream told to expect XCLIENT often trusts that address (Postfix's default
 * {@code mynetworks} holds 127.0.0.1, and {@code permit_mynetworks} lets it relay anywhere): the session is then
 * ended with {@code 421} rather than relayed as the proxy's. Carried on with a warning, as it once was, a Postfix
 * listening for IPv4 alone, which refuses XCLIENT's IPv6 address, relayed every IPv6 client's mail anywhere.
 */
public final class XclientIntroduction {

    private static final Logger LOG = LoggerFactory.getLogger(XclientIntroduction.class);
    /** A misconfigured upstream fails every session: said once a minute, with how many more. */
    private static final RepeatedWarning FAILED = new RepeatedWarning();

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

    /** Logs that a client could not be introduced, and its session ends with 421 for it. */
    static void failed(String client, String why) {
        long skipped = FAILED.admit();
        if (skipped >= 0) {
            LOG.error("XCLIENT could not introduce client {} ({}); its session is closed with 421 rather than relayed"
                    + " as from the proxy's address, which the upstream may trust{}", client, why,
                    RepeatedWarning.more(skipped));
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
