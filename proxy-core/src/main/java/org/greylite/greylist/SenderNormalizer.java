package org.greylite.greylist;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reduces an envelope sender to what stays the same across retries of one message, so a retry
 * matches its first attempt even when the sender's software tags every attempt differently:
 * <ul>
 * <li>SRS0/SRS1 (Sender Rewriting Scheme, used by forwarders): unwrapped to the original sender,
 *     {@code SRS0=HHH=TT=example.org=alice@forwarder.net} → {@code alice@example.org};</li>
 * <li>BATV ({@code prvs=TAG=user@domain}, also {@code btv1==...==user}): the tag is removed;</li>
 * <li>{@code +extension} local parts ({@code alice+list@example.org} → {@code alice@example.org});</li>
 * <li>VERP-style numbers: a number standing as a whole field of the local part becomes {@code #}, as
 *     Postgrey's {@code s/\b\d+\b/#/g} does ({@code bounce-1234-5678@lists.example} →
 *     {@code bounce-#-#@lists.example}); digits inside a word stay ({@code ops1@}, {@code john1980@},
 *     {@code user_42@}), since they name a mailbox, not a message.</li>
 * </ul>
 * The result is lower case. The null sender stays empty.
 *
 * <p>Greylisting keys made before digits inside words were kept ({@code ops#@}) no longer match: an upgrade
 * greylists such a pending message once more (docs/choices.md, "Sender normalisation"). The old form cannot be turned
 * back into the address, so no rewrite of stored rows could do better.
 */
public final class SenderNormalizer {

    /** SRS0=hash=tt=domain=local@forwarder */
    private static final Pattern SRS0 = Pattern.compile("(?i)^srs0[=+-][^=]+=[^=]+=([^=]+)=(.+)@[^@]+$");
    /** SRS1=hash=forwarder==hash=tt=domain=local@forwarder2 (the innermost original is what we want) */
    private static final Pattern SRS1 = Pattern.compile("(?i)^srs1[=+-][^=]+=[^=]+==[^=]+=[^=]+=([^=]+)=(.+)@[^@]+$");
    /** prvs=tag=local (RFC draft) and the reversed local=prvs=tag seen in the wild. */
    private static final Pattern PRVS = Pattern.compile("(?i)^prvs=[0-9a-z]+=(.+)$");
    private static final Pattern PRVS_REVERSED = Pattern.compile("(?i)^(.+)=prvs=[0-9a-z]+$");
    private static final Pattern BTV1 = Pattern.compile("(?i)^btv1==[0-9a-z]+==(.+)$");
    /**
     * A BATV tag-val: a key digit, three day digits and six hex digits of hash. Exactly that: ten letters or digits
     * also took user names (newsletter, information) for tags in the reversed order prvs=user=tag, and the user was
     * dropped and the tag kept, so that no retry matched.
     */
    private static final Pattern BATV_TAG = Pattern.compile("(?i)^[0-9]{4}[0-9a-f]{6}$");
    /**
     * Perl's {@code \b\d+\b} on the bytes Postgrey sees: word characters are ASCII letters, digits and
     * {@code _}. Spelt out rather than Java's {@code \b}, whose idea of a word character is Unicode's (and
     * changed in JDK 19): a {@code é1@} local part must key as Postgrey keys it, whatever the JDK.
     */
    private static final Pattern WHOLE_NUMBER = Pattern.compile("(?<![A-Za-z0-9_])[0-9]+(?![A-Za-z0-9_])");

    private SenderNormalizer() {
    }

    public static String normalize(String sender) {
        String s = sender.trim().toLowerCase(Locale.ROOT);
        int at = s.lastIndexOf('@');
        if (s.isEmpty() || at <= 0 || at == s.length() - 1) {
            return s; // the null sender, or not an address: keep as is
        }
        // Every SRS and BATV form has an '=' (SRS also its prefix): an address without one, most of them, is not
        // run through the six patterns, which took a measurable part of a greydaemon decision.
        boolean tagged = s.indexOf('=') >= 0;
        if (tagged && s.startsWith("srs")) {
            Matcher m = SRS1.matcher(s);
            if (!m.matches()) {
                m = SRS0.matcher(s);
            }
            if (m.matches()) {
                s = m.group(2) + "@" + m.group(1);
                at = s.lastIndexOf('@');
            }
        }
        String local = s.substring(0, at);
        String domain = s.substring(at + 1);
        if (tagged) {
            local = withoutBatv(local);
        }
        int plus = local.indexOf('+');
        if (plus > 0) {
            local = local.substring(0, plus);
        }
        if (hasDigit(local)) {
            local = WHOLE_NUMBER.matcher(local).replaceAll("#");
        }
        return local + "@" + domain;
    }

    private static boolean hasDigit(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c >= '0' && c <= '9') {
                return true;
            }
        }
        return false;
    }

    private static String withoutBatv(String local) {
        if (local.startsWith("prvs=")) {
            // prvs=tag=user is the draft's order, but prvs=user=tag is seen too: as Postgrey does, the part
            // that looks like a tag is dropped, and the draft's order wins when both or neither do.
            String[] parts = local.split("=", -1);
            if (parts.length == 3 && BATV_TAG.matcher(parts[2]).find() && !BATV_TAG.matcher(parts[1]).find()) {
                return parts[1];
            }
        }
        for (Pattern p : new Pattern[] {PRVS, PRVS_REVERSED, BTV1}) {
            Matcher b = p.matcher(local);
            if (b.matches()) {
                return b.group(1);
            }
        }
        return local;
    }
}
