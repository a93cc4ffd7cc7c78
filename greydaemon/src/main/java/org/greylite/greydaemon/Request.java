package org.greylite.greydaemon;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;

import org.greylite.net.Cidr;
import org.greylite.smtp.RecipientLimit;
import org.greylite.text.ClientText;

/**
 * One greydaemon request, as the patched qmail-smtpd sends it at DATA:
 * {@code I<client ip>\0F<sender>\0T<recipient>\0T<recipient>\0...} (each field ends with a NUL, the
 * sender is empty for the null sender). Spaces are removed from the sender and the recipients, as
 * greydaemon does, and the sender {@code .} is the null sender, as in greydaemon.
 *
 * <p>A recipient may be empty: stock qmail-smtpd accepts {@code RCPT TO:<>} and puts {@code T\0} in its list,
 * and greydaemon decided that recipient like any other. Refusing the request as malformed left it
 * unanswered, so qmail-smtpd timed out and accepted the message: one empty RCPT was a way past greylisting.
 *
 * @param client     the client's address (a literal: never looked up in the DNS)
 * @param sender     the envelope sender, empty for the null sender
 * @param recipients the envelope recipients, at least one, in the order given; one may be empty
 */
public record Request(InetAddress client, String sender, List<String> recipients) {

    /**
     * The largest datagram read; greydaemon reads 2048 bytes, a UDP datagram over IPv4 can hold up to this. One
     * over IPv6 can hold a few bytes more: such a datagram is read one byte longer than this, so that it is seen
     * to be cut, and is malformed rather than decided without the end of its last recipient.
     */
    public static final int MAX_SIZE = 65_507;

    /**
     * The most recipients a request may list. qmail-smtpd sends no more than its own limits let through, and
     * greydaemon's 2048-byte packets held far fewer; a datagram of MAX_SIZE bytes can list some 32,000 empty
     * ones, each one more decision and log line on the one thread that answers every client, so that a few such
     * datagrams held back every other answer for minutes (and every qmail-smtpd, timing out, let its mail in).
     */
    public static final int MAX_RECIPIENTS = RecipientLimit.PER_MESSAGE;

    public Request {
        recipients = List.copyOf(recipients);
    }

    /**
     * A request that lists no recipient to decide: one that breaks the protocol, or one that lists no {@code T}
     * field. greydaemon looked at the client before it read the other fields, and answered an address it knew
     * whatever followed; so does {@link EngineDecisions#withoutRecipients}, given the client when the I field was
     * read. Otherwise a request that breaks the protocol gets no answer (the client times out and lets the mail
     * in), and one that only lists no recipient {@code 1,3}, as greydaemon answered both.
     */
    public static final class Malformed extends Exception {
        private static final long serialVersionUID = 1L;

        private final transient InetAddress client;
        private final boolean listsNone;

        Malformed(String why) {
            this(why, null, false);
        }

        private Malformed(String why, InetAddress client, boolean listsNone) {
            super(why, null, false, false);
            this.client = client;
            this.listsNone = listsNone;
        }

        /** The client the I field names, or null when the request cannot be read that far. */
        public InetAddress client() {
            return client;
        }

        /** True when the request is well formed and only lists no {@code T} field: a message with nothing to greylist. */
        public boolean listsNone() {
            return listsNone;
        }
    }

    /**
     * Reads a datagram.
     *
     * @throws Malformed saying what is wrong, for the log
     */
    public static Request parse(byte[] packet, int length) throws Malformed {
        if (length > MAX_SIZE) {
            throw new Malformed("longer than the " + MAX_SIZE + " bytes read whole");
        }
        List<String> fields = fields(packet, length);
        if (fields.isEmpty() || !fields.get(0).startsWith("I")) {
            throw new Malformed("no I field first");
        }
        InetAddress client = address(fields.get(0).substring(1));
        if (fields.size() < 2 || !fields.get(1).startsWith("F")) {
            throw new Malformed("no F field after the I field", client, false);
        }
        String sender = withoutSpaces(fields.get(1).substring(1));
        if (sender.equals(".")) {
            // greydaemon wrote the null sender as "." (its save file's FROM cannot be empty) and read a "." sender
            // as the null sender: "F." and "F" were one triplet, and "F." to a VERP address a bounce. So here.
            sender = "";
        }
        if (fields.size() - 2 > MAX_RECIPIENTS) {
            throw new Malformed((fields.size() - 2) + " fields after F, more than the " + MAX_RECIPIENTS
                    + " recipients a request may list");
        }
        List<String> recipients = new ArrayList<>(fields.size() - 2);
        for (String f : fields.subList(2, fields.size())) {
            if (!f.startsWith("T")) {
                throw new Malformed("a field after F that is not a T field", client, false);
            }
            recipients.add(withoutSpaces(f.substring(1))); // empty for RCPT TO:<>: a recipient all the same
        }
        if (recipients.isEmpty()) {
            // qmail-smtpd never asks without a recipient; greydaemon answered such a request all the same.
            throw new Malformed("no T field", client, true);
        }
        return new Request(client, sender, recipients);
    }

    /**
     * The NUL-terminated fields; a last field without its NUL counts too, empty trailing fields do not. Each is
     * read as every program reads client text ({@link ClientText#fromBytes}): a sender that is not UTF-8 is keyed
     * as greylited and the wrapper key it, not as replacement characters that would make different senders one.
     */
    private static List<String> fields(byte[] packet, int length) {
        List<String> out = new ArrayList<>();
        int start = 0;
        for (int i = 0; i <= length; i++) {
            if (i == length || packet[i] == 0) {
                out.add(ClientText.fromBytes(packet, start, i - start));
                start = i + 1;
            }
        }
        while (!out.isEmpty() && out.get(out.size() - 1).isEmpty()) {
            out.remove(out.size() - 1);
        }
        return out;
    }

    private static InetAddress address(String text) throws Malformed {
        if (text.isEmpty() || text.indexOf('/') >= 0) {
            throw new Malformed("the I field holds no IP address");
        }
        try {
            return Cidr.parse(text).firstAddress(); // a literal only: no DNS query for a name
        } catch (IllegalArgumentException e) {
            throw new Malformed("the I field holds no IP address");
        }
    }

    private static String withoutSpaces(String s) {
        return s.indexOf(' ') < 0 ? s : s.replace(" ", "");
    }
}
