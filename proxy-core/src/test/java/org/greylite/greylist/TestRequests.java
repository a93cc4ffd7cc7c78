package org.greylite.greylist;

import java.net.InetAddress;
import java.util.Map;

import org.greylite.suspicion.ClientFacts;

/** Requests as the tests describe them: the suspicion facts and a reason to skip greylisting, if any. */
public final class TestRequests {

    private TestRequests() {
    }

    /**
     * @param skip null, "authenticated" (the session authenticated), "dnswl:ZONE" (a DNS whitelist lists the
     *             client), or the name of a variable that skips greylisting (RELAYCLIENT, WHITELISTED)
     */
    public static RcptRequest request(InetAddress client, ClientFacts f, String skip) {
        SessionFacts s = RcptRequest.of(client, f).session();
        if (skip == null) {
            return s.rcpt(f.sender(), f.recipient());
        }
        if (skip.equals("authenticated")) {
            s = s.withAuthenticated(true);
        } else if (skip.startsWith("dnswl:")) {
            s = s.withDnswlZone(skip.substring("dnswl:".length()));
        } else {
            s = s.withVariables(Map.of(skip, ""));
        }
        if (!skip.equals(s.skipReason())) {
            throw new IllegalArgumentException("not a skip reason: " + skip);
        }
        return s.rcpt(f.sender(), f.recipient());
    }
}
