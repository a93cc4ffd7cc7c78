package org.greylite.connect;

/**
 * What one A record from a DNS whitelist means. A listing is an address in 127.0.0.0/8 (RFC 5782 2.1) whose last
 * octet is the trust level, as list.dnswl.org encodes it (127.0.X.0 to 127.0.X.3, X the category, 2 and up).
 *
 * <p>Two answers in 127/8 are refusals, not listings, and a whitelist must never read them as trust: dnswl.org
 * answers 127.0.0.255 to a resolver over its query limit (a public or big shared resolver, typically; SpamAssassin's
 * RCVD_IN_DNSWL_BLOCKED), and Spamhaus-style lists answer from 127.255.255.0/24 ("you may not query"). Read as
 * listings, the first had trust level 255, above any threshold, and every client of such a resolver skipped
 * greylisting; dnsblenv excludes the second range from its listings for the same reason.
 */
final class DnswlAnswer {

    private DnswlAnswer() {
    }

    /** True when {@code address} (an A record's four bytes) lists the client at {@code threshold} or above. */
    static boolean lists(byte[] address, int threshold) {
        int a = address[0] & 0xff;
        int b = address[1] & 0xff;
        int c = address[2] & 0xff;
        int d = address[3] & 0xff;
        if (a != 127 || refusal(b, c, d)) {
            return false;
        }
        return d >= threshold;
    }

    private static boolean refusal(int b, int c, int d) {
        boolean queryLimit = b == 0 && c == 0 && d == 255;
        boolean notAllowed = b == 255 && c == 255;
        return queryLimit || notAllowed;
    }
}
