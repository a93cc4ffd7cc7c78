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
 * <li>VERP-style numbers: every run of digits in the local part becomes {@code #}, as Postgrey does
 *     ({@code bounce-1234-5678@lists.example} → {@code bounce-#-#@lists.example}).</li>
 * </ul>
 * The result is lower case. The null sender stays empty.
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
    private static final Pattern DIGITS = Pattern.compile("\\d+");

    private SenderNormalizer() {
    }

    public static String normalize(String sender) {
        String s = sender.trim().toLowerCase(Locale.ROOT);
        int at = s.lastIndexOf('@');
        if (s.isEmpty() || at <= 0 || at == s.length() - 1) {
            return s; // the null sender, or not an address: keep as is
        }
        Matcher m = SRS1.matcher(s);
        if (!m.matches()) {
            m = SRS0.matcher(s);
        }
        if (m.matches()) {
            s = m.group(2) + "@" + m.group(1);
            at = s.lastIndexOf('@');
        }
        String local = s.substring(0, at);
        String domain = s.substring(at + 1);
        for (Pattern p : new Pattern[] {PRVS, PRVS_REVERSED, BTV1}) {
            Matcher b = p.matcher(local);
            if (b.matches()) {
                local = b.group(1);
                break;
            }
        }
        int plus = local.indexOf('+');
        if (plus > 0) {
            local = local.substring(0, plus);
        }
        local = DIGITS.matcher(local).replaceAll("#");
        return local + "@" + domain;
    }
}
