package org.greylite.relay;

import java.util.Objects;

import org.greylite.greylist.Verdict;
import org.greylite.smtp.Reply;
import org.greylite.text.ClientText;

/**
 * The replies the proxy writes itself. The greylisting reply is configurable: its text may use
 * {@code {rcpt}} (the recipient) and {@code {seconds}} (until a retry can count).
 *
 * @param hostname         the name the proxy gives in 421 replies
 * @param greylistTemplate e.g. {@code 451 4.7.1 <{rcpt}>: greylisted, please retry in {seconds} seconds};
 *                         or {@code disguise}: one of several ordinary-looking temporary failures at random
 *                         (as greylite did), so that bots cannot tell greylisting from a busy server
 */
public record Replies(String hostname, String greylistTemplate) {

    /** Tells a legitimate sender's administrator what happens and when to come back. */
    public static final String DEFAULT_GREYLIST = "451 4.7.1 <{rcpt}>: greylisted, please retry in {seconds} seconds";
    /** The template word that asks for disguised replies. */
    public static final String DISGUISE = "disguise";
    /** The longest reply line, CRLF included, that every client must be able to read (RFC 5321 4.5.3.1.5). */
    public static final int MAX_REPLY_LINE = 512;
    private static final String[] DISGUISES = {
        "451 4.3.0 Temporary local problem, please try again later",
        "452 4.3.1 Insufficient system storage, please try again later",
        "451 4.4.5 System congested, please try again later",
    };

    public Replies {
        Objects.requireNonNull(hostname, "hostname");
        Objects.requireNonNull(greylistTemplate, "greylistTemplate");
        if (!greylistTemplate.equals(DISGUISE) && !greylistTemplate.matches("4\\d\\d [^\\r\\n]*")) {
            throw new IllegalArgumentException("the greylisting reply must be a 4xx code and a text on one line: '"
                    + greylistTemplate + "'");
        }
        if (greylistTemplate.startsWith("421")) {
            // RFC 5321 4.2.2: a 421 says the server closes the connection, and the session goes on after the
            // greylisting reply: a client waits for the close, or drops its other recipients of the message.
            throw new IllegalArgumentException("the greylisting reply must not be a 421, which says the connection "
                    + "closes (RFC 5321); use 450 or 451: '" + greylistTemplate + "'");
        }
        int longest = longestLine(greylistTemplate);
        if (longest > MAX_REPLY_LINE) {
            // RFC 5321 4.5.3.1.5: clients need not read a longer reply line; some cut it, some drop the connection.
            // Refused at start, from its longest form, rather than found cut short for one long recipient.
            throw new IllegalArgumentException("the greylisting reply must fit an SMTP reply line of " + MAX_REPLY_LINE
                    + " octets with its CRLF (RFC 5321), and with the longest recipient and number of seconds it "
                    + "shows it takes " + longest + ": '" + greylistTemplate + "'");
        }
    }

    /**
     * The octets, CRLF included, of the longest line the template can give ({@link #forRefusal}): every
     * {@code {rcpt}} as long as a recipient is shown, every {@code {seconds}} as long as a long can be (a clock set
     * back can make the wait longer than min-delay). The disguises are short.
     */
    private static int longestLine(String template) {
        if (template.equals(DISGUISE)) {
            return 0;
        }
        String longestRecipient = "x".repeat(ClientText.FIELD_LENGTH) + ClientText.CUT;
        return template.replace("{rcpt}", longestRecipient)
                .replace("{seconds}", Long.toString(Long.MAX_VALUE)).length() + 2;
    }

    public static Replies defaults(String hostname) {
        return new Replies(hostname, DEFAULT_GREYLIST);
    }

    Reply forRefusal(Verdict v, String recipient) {
        if (v.action() == Verdict.Action.TEMPFAIL) {
            return Reply.local(451, "4.3.0 greylisting is temporarily unavailable, try again later");
        }
        if (v.action() == Verdict.Action.REJECT) {
            return Reply.local(554, "5.7.1 <" + printable(recipient) + ">: mail from your address is refused");
        }
        String template = greylistTemplate.equals(DISGUISE)
                ? DISGUISES[java.util.concurrent.ThreadLocalRandom.current().nextInt(DISGUISES.length)] : greylistTemplate;
        long seconds = v.retryAfterSeconds();
        String text = template;
        if (seconds == 0) {
            // Only with --min-delay 0, where a retry counts at once: "retry in 0 seconds" reads like a joke or a bug
            // to the sender's administrator, and "later" is what every client does with a 451 anyway.
            text = text.replace(" in {seconds} seconds", " later");
        }
        text = text.replace("{seconds} seconds", seconds == 1 ? "1 second" : "{seconds} seconds") // the default's words
                .replace("{seconds}", Long.toString(seconds));
        // The recipient last: it is the client's text, and a {seconds} in it is part of the address, not the template's.
        text = text.replace("{rcpt}", printable(recipient));
        return Reply.local(Integer.parseInt(text.substring(0, 3)), text.substring(4));
    }

    Reply lineTooLong() {
        return Reply.local(500, "5.5.2 line too long");
    }

    Reply controlCharacters() {
        return Reply.local(500, "5.5.2 syntax error: control characters in command");
    }

    Reply leadingWhiteSpace() {
        return Reply.local(500, "5.5.2 syntax error: command line begins with white space");
    }

    Reply tlsUnavailable() {
        return Reply.local(454, "4.7.0 TLS not available");
    }

    Reply readyToStartTls() {
        return Reply.local(220, "2.0.0 Ready to start TLS");
    }

    Reply tlsAlreadyActive() {
        return Reply.local(503, "5.5.1 TLS already active");
    }

    Reply startTlsSyntax() {
        return Reply.local(501, "5.5.4 STARTTLS takes no parameters");
    }

    Reply notFromClients(String verb) {
        return Reply.local(550, "5.7.1 " + verb + " is not accepted from clients");
    }

    /** As Postfix says it: a MAIL FROM whose address cannot be read is not sent on (see ClientCommands). */
    Reply badSender() {
        return Reply.local(501, "5.1.7 Bad sender address syntax");
    }

    /** As Postfix says it: a RCPT TO whose address cannot be read is not sent on (see ClientCommands). */
    Reply badRecipient() {
        return Reply.local(501, "5.1.3 Bad recipient address syntax");
    }

    /** As Postfix says it: an ESMTP parameter of an extension that was not offered (see ClientCommands). */
    Reply unsupportedOption(String parameter) {
        return Reply.local(555, "5.5.4 Unsupported option: " + parameter);
    }

    /** As Postfix says it: RCPT before a MAIL FROM the upstream took. */
    Reply needMail() {
        return Reply.local(503, "5.5.1 Error: need MAIL command");
    }

    /** MAIL after STARTTLS without a new greeting (Postfix's words). */
    Reply greetAgain() {
        return Reply.local(503, "5.5.1 Error: send HELO/EHLO first");
    }

    /** As Postfix says it: a RCPT over {@link Envelope#MAX_RECIPIENTS} in one transaction. */
    Reply tooManyRecipients() {
        return Reply.local(452, "4.5.3 Error: too many recipients");
    }

    /** As Postfix says it: MAIL FROM inside a transaction (see ClientCommands). */
    Reply nestedMail() {
        return Reply.local(503, "5.5.1 Error: nested MAIL command");
    }

    /** A RCPT between the chunks of a message (Postfix's words; RFC 3030 has the envelope come first). */
    Reply rcptAfterBdat() {
        return Reply.local(503, "5.5.1 Error: RCPT after BDAT");
    }

    /** As Postfix says it: STARTTLS inside a transaction (RFC 3207 4.2 would make the proxy forget the sender). */
    Reply transactionInProgress() {
        return Reply.local(503, "5.5.1 Error: MAIL transaction in progress");
    }

    Reply badBdat() {
        return Reply.local(501, "5.5.4 malformed BDAT command, closing connection");
    }

    /** A command the proxy cannot follow, answered as a server that does not have it (ClientCommands#UNFOLLOWED). */
    Reply notImplemented(String verb) {
        return Reply.local(502, "5.5.1 Error: " + verb + " not implemented");
    }

    Reply bdatNotOffered() {
        return Reply.local(502, "5.5.1 BDAT not available: CHUNKING was not offered");
    }

    Reply ambiguousEnd() {
        return Reply.local(554, "5.6.0 message refused: a line holding a lone \".\" has a bare CR or LF line"
                + " ending (RFC 5321 2.3.8), closing connection");
    }

    /** As Postfix says it: DATA when every recipient was refused (RFC 5321 3.3). */
    Reply noValidRecipients() {
        return Reply.local(554, "5.5.1 No valid recipients");
    }

    /** The upstream refused a command of the envelope it had accepted a moment ago: the client must try again. */
    Reply envelopeNotRemade() {
        return Reply.local(421, "4.3.0 " + hostname + " the server changed its answer to the envelope, try again later,"
                + " closing connection");
    }

    Reply upstreamUnavailable() {
        return Reply.local(421, "4.3.0 " + hostname + " service temporarily unavailable, closing connection");
    }

    /** As postscreen's, with the reason: the client may tell it from a busy server. */
    Reply tooManyCommands() {
        return Reply.local(421, "4.7.0 " + hostname + " Error: too many commands, closing connection");
    }

    /** The session deadline has passed (see {@link SessionLimits}). */
    Reply sessionTooLong() {
        return Reply.local(421, "4.7.0 " + hostname + " Error: session too long, closing connection");
    }

    /** The proxy is stopping (SIGTERM): RFC 5321 3.8 has a server going down say 421 first. */
    public Reply shuttingDown() {
        return Reply.local(421, "4.3.2 " + hostname + " service shutting down, closing connection");
    }

    /** As Postfix's smtpd_client_connection_count_limit says it: the client may retry once it has fewer open. */
    public Reply tooManyConnectionsFrom(String clientAddress) {
        return Reply.local(421, "4.7.0 " + hostname + " Error: too many connections from " + printable(clientAddress)
                + ", closing connection");
    }

    /** Every session the proxy may carry is taken: as postscreen's "all server ports are busy". */
    public Reply allSessionsBusy() {
        return Reply.local(421, "4.3.2 " + hostname + " Error: all server ports are busy, closing connection");
    }

    Reply idle() {
        return Reply.local(421, "4.4.2 " + hostname + " idle timeout, closing connection");
    }

    /** A reply goes out in ASCII ({@link Reply#local}): what is not ASCII becomes '?' there. */
    private static String printable(String s) {
        return ClientText.printable(s, ClientText.FIELD_LENGTH);
    }
}
