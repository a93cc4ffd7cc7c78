package org.greylite.greylist;

import org.greylite.suspicion.ClientFacts;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One log line per RCPT decision, greppable by key=value:
 * <pre>decision verdict=greylist reason=first-attempt client=192.0.2.7 key=192.0.2.0/24 ptr=mx.example.net
 *   helo=mx.example.net from=&lt;a@example.net&gt; to=&lt;b@example.org&gt; attempt=1 refusals=1 rule=-</pre>
 * Skipped RCPTs (relay clients, authenticated sessions) are logged at debug level only.
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
                + (skipped ? "(" + request.skip() + ")" : "")
                + " client=" + f.address() + " key=" + v.clientKey()
                + " ptr=" + orDash(f.ptrName()) + " helo=" + orDash(clean(f.helo()))
                + " from=<" + clean(f.sender()) + "> to=<" + clean(f.recipient()) + ">"
                + (v.refusals() >= 0 ? " attempt=" + v.attempt() + " refusals=" + v.refusals() : "")
                + (v.retryAfterSeconds() > 0 ? " retry-after=" + v.retryAfterSeconds() + "s" : "")
                + " rule=" + (v.rule() == null ? "-" : v.rule().file() + ":" + v.rule().line() + " \"" + v.rule().text() + "\"");
        if (skipped) {
            LOG.debug(line);
        } else {
            LOG.info(line);
        }
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
                + " ptr=" + orDash(f.ptrName()) + " helo=" + orDash(clean(f.helo()))
                + " from=<" + clean(f.sender()) + "> to=<" + clean(f.recipient()) + "> rule=-");
    }

    private static String orDash(String s) {
        return s == null || s.isEmpty() ? "-" : s;
    }

    /** Client-supplied text goes into the log: no spaces or control characters that could forge a line. */
    private static String clean(String s) {
        if (s.length() <= 256 && isClean(s)) {
            return s; // the usual case: no copy made (three per decision otherwise)
        }
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length() && i < 256; i++) {
            char c = s.charAt(i);
            b.append(c <= ' ' || c == 0x7f ? '?' : c);
        }
        return b.toString();
    }

    private static boolean isClean(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c <= ' ' || c == 0x7f) {
                return false;
            }
        }
        return true;
    }
}
