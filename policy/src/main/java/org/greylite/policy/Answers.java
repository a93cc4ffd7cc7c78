package org.greylite.policy;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.regex.Pattern;

import org.greylite.text.ClientText;

/**
 * The actions the service answers Postfix with. Greylisted: {@code DEFER_IF_PERMIT 4.7.1 Greylisted, please
 * retry in N seconds}, so that a later restriction that rejects still rejects (postgrey's choice). The pass
 * that ends a delay: {@code PREPEND X-Greylist: delayed N seconds by greylite-policy ...}, once per message, as
 * postgrey adds it (or nothing, when the header is switched off). Otherwise {@code DUNNO}. Never {@code OK}:
 * a pass must leave the later restrictions to run.
 *
 * @param greylistAction the action for a greylisted RCPT ({@code --greylist-action})
 * @param greylistText   its text: {@code %s} becomes the seconds to wait, {@code %r} the recipient's domain;
 *                       an enhanced status code {@code 4.7.1} goes first unless the text starts with one
 * @param header         the header of a delayed pass: {@code %t} the delay in seconds, {@code %v} the version,
 *                       {@code %h} the host name, {@code %d} the date; null for none
 * @param hostname       for {@code %h}
 * @param clock          for {@code %d}
 */
record Answers(String greylistAction, String greylistText, String header, String hostname, Clock clock) {

    static final String DUNNO = "DUNNO";
    static final String DEFAULT_ACTION = "DEFER_IF_PERMIT";
    static final String DEFAULT_TEXT = "Greylisted, please retry in %s seconds";
    static final String DEFAULT_HEADER = "X-Greylist: delayed %t seconds by greylite-policy-%v at %h; %d";
    static final String VERSION = "0.1.0";

    /** A text that starts with its own enhanced status code (RFC 3463); compiled once, used at every greylisting. */
    private static final Pattern ENHANCED_STATUS = Pattern.compile("^[245]\\.\\d{1,3}\\.\\d{1,3}(\\s.*)?$");

    /** The longest reply line, CRLF included, that every SMTP client must be able to read (RFC 5321 4.5.3.1.5). */
    static final int MAX_REPLY_LINE = 512;
    /**
     * What Postfix's smtpd writes around the text of a greylisting action for a recipient, the address aside:
     * {@code 450 4.7.1 <ADDRESS>: Recipient address rejected: TEXT}.
     */
    private static final String POSTFIX_WORDS = "450 4.7.1 <>: Recipient address rejected: ";
    /** The longest domain name (RFC 5321 4.5.3.1.2), as {@code %r} may show it. */
    private static final int LONGEST_DOMAIN = 255;

    /**
     * Refuses a {@code --greylist-text} whose reply line could not fit {@link #MAX_REPLY_LINE} octets: Postfix
     * sends the action's text on as it is, never cut, and clients need not read a longer line (some cut it,
     * some drop the connection). Counted with the longest {@code %s} (a long's digits: a clock set back can make
     * the wait longer than the delay) and {@code %r}, in Postfix's words; the address Postfix writes before the
     * text is left out: it is the client's, and Postfix writes it however long it came, in its own refusals too.
     */
    static void checkTextFits(String greylistText) {
        String longest = greylistText.replace("%s", Long.toString(Long.MAX_VALUE))
                .replace("%r", "x".repeat(LONGEST_DOMAIN));
        String text = ENHANCED_STATUS.matcher(longest).matches() ? longest.substring(longest.indexOf(' ') + 1) : longest;
        int octets = (POSTFIX_WORDS + text).getBytes(StandardCharsets.UTF_8).length + 2;
        if (octets > MAX_REPLY_LINE) {
            throw new IllegalArgumentException("--greylist-text: the text must fit Postfix's reply line of "
                    + MAX_REPLY_LINE + " octets with its CRLF (RFC 5321), and with the longest seconds and domain it "
                    + "shows, in Postfix's words '" + POSTFIX_WORDS + "...', it takes " + octets + ": '"
                    + greylistText + "'");
        }
    }

    /**
     * Refuses a text of an answer that holds a control character, a line break above all: an answer to Postfix is
     * one {@code name=value} line, so a line break would end it there and Postfix would read the rest as the
     * start of the next answer, out of step with its requests from then on.
     *
     * @param option the flag the text came from, to name it
     */
    static void checkOneLine(String option, String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < 0x20 || c == 0x7f) {
                throw new IllegalArgumentException(option + ": the text must be one line without control characters"
                        + " (an answer to Postfix is one line), and has " + String.format("0x%02x", (int) c)
                        + " at character " + (i + 1));
            }
        }
    }

    /** A greylisted recipient, {@code seconds} before a retry can count. */
    String greylisted(long seconds, String recipient) {
        int at = recipient.lastIndexOf('@');
        // The domain is the client's text: its control characters shown as '?' and its length held to a domain's,
        // so that the answer stays the one line within the length checked at start.
        String domain = ClientText.printable(at < 0 ? recipient : recipient.substring(at + 1),
                LONGEST_DOMAIN - ClientText.CUT.length());
        String text = greylistText.replace("%s", Long.toString(seconds)).replace("%r", domain);
        return greylistAction + " " + (ENHANCED_STATUS.matcher(text).matches() ? text : "4.7.1 " + text);
    }

    /** The header of the pass that ended a delay of {@code seconds}, or null when switched off. */
    String delayedHeader(long seconds) {
        if (header == null) {
            return null;
        }
        String date = DateTimeFormatter.RFC_1123_DATE_TIME.withLocale(Locale.ROOT)
                .format(ZonedDateTime.now(clock.withZone(ZoneId.systemDefault())));
        return "PREPEND " + header.replace("%t", Long.toString(seconds)).replace("%v", VERSION)
                .replace("%h", hostname).replace("%d", date);
    }

    /** The greydb could not be asked and the administrator chose to fail closed. */
    static String unavailable() {
        return "DEFER_IF_PERMIT 4.3.0 Greylisting temporarily unavailable, please retry later";
    }

    /** The client is on the administrators' blacklist. */
    static String blacklisted() {
        return "REJECT 5.7.1 Access denied by the administrator's blacklist";
    }
}
