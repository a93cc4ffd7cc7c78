package org.greylite.greylist;

import org.greylite.suspicion.ClientFacts;
import org.greylite.text.ClientText;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One log line per RCPT decision, greppable by key=value:
 * <pre>decision verdict=greylist reason=first-attempt client=192.0.2.7 key=192.0.2.0/24 ptr=mx.example.net
 *   helo=mx.example.net from=&lt;a@example.net&gt; to=&lt;b@example.org&gt; attempt=1 refusals-needed=1 rule=-</pre>
 * {@code attempt} is this attempt's number ({@link Verdict#attempt}), {@code refusals-needed} the N the triplet
 * must be refused before it passes ({@link Verdict#refusalsNeeded}); both are left out when no triplet was looked
 * at. Skipped RCPTs (relay clients, authenticated sessions) are logged at debug level only.
 */
public final class DecisionLog implements DecisionListener {

    private static final Logger LOG = LoggerFactory.getLogger("greylite.decision");

    @Override
    public void decided(RcptRequest request, Verdict v) {
        boolean skipped = v.reason() == Verdict.Reason.SKIPPED;
        if (skipped ? !LOG.isDebugEnabled() : !LOG.isInfoEnabled()) {
            return;
        }
        ClientFacts f = request.facts();
        String line = "decision verdict=" + v.action().label()
                + " reason=" + v.reason().label()
                + (skipped ? "(" + skipLabel(request.skip(), f) + ")" : "")
                + " client=" + f.address() + " key=" + shown(v.clientKey())
                + " ptr=" + shown(f.ptrName()) + " helo=" + shown(f.helo())
                + " from=<" + ClientText.field(f.sender()) + "> to=<" + ClientText.field(f.recipient()) + ">"
                + (v.refusalsNeeded() >= 0 ? " attempt=" + v.attempt() + " refusals-needed=" + v.refusalsNeeded() : "")
                + (v.retryAfterSeconds() > 0 ? " retry-after=" + v.retryAfterSeconds() + "s" : "")
                + " rule=" + (v.rule() == null ? "-" : v.rule().file() + ":" + v.rule().line() + " \"" + v.rule().text() + "\"");
        if (skipped) {
            LOG.debug(line);
        } else {
            LOG.info(line);
        }
    }

    /**
     * Why greylisting was skipped; a variable's value when it has one, which says why it was set
     * ({@code WHITELISTED=verp-bounce} from greydaemon, a tcprules comment value).
     */
    private static String skipLabel(String skip, ClientFacts f) {
        String value = f.variables().get(skip);
        return value == null || value.isEmpty() ? skip : skip + "=" + ClientText.field(value);
    }

    /**
     * The line for a recipient the upstream refused before greylisting was asked (the relay's upstream-first
     * order): {@code verdict=upstream-refused reason=upstream-CODE}, never a greylisting verdict, so the log tells
     * the upstream's refusals from greylisting's. No key, attempt or rule: no triplet was looked at.
     */
    public static void refusedUpstream(RcptRequest request, int code) {
        if (!LOG.isInfoEnabled()) {
            return;
        }
        ClientFacts f = request.facts();
        LOG.info("decision verdict=upstream-refused reason=upstream-" + code + " client=" + f.address() + " key=-"
                + " ptr=" + shown(f.ptrName()) + " helo=" + shown(f.helo())
                + " from=<" + ClientText.field(f.sender()) + "> to=<" + ClientText.field(f.recipient()) + "> rule=-");
    }

    /**
     * A field's value as {@link ClientText#field} shows it, "-" for none. Every value that comes from outside goes
     * through here, the PTR name and the key made from it too: a client must not be able to write a field.
     */
    private static String shown(String s) {
        return s == null || s.isEmpty() ? "-" : ClientText.field(s);
    }
}
