package org.greylite.relay;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.greylite.smtp.RecipientLimit;
import org.greylite.smtp.Reply;
import org.greylite.text.ClientText;

/**
 * What the client has said about itself and its mail so far: its HELO, whether the upstream authenticated it,
 * and the transaction in progress (the sender, and the null sender's recipients waiting for DATA).
 *
 * <p>It also keeps what the upstream holds of the transaction, for the upstream-first order: the MAIL FROM line,
 * the RCPT lines the upstream accepted and greylisting let pass, and whether a recipient the upstream accepted
 * was then greylisted, so that the upstream's envelope must be made again before the message (see
 * {@link EnvelopeReplay}).
 */
final class Envelope {

    private String helo = ""; // as sent, a character a byte: XCLIENT passes these bytes on
    private String heloText = ""; // as read (ClientText): what the rules match and the log lines show
    private boolean authenticated;
    private boolean mustGreetAgain; // STARTTLS made the client's greeting count for nothing, and none came since
    private String sender; // null: no MAIL FROM yet
    private final List<String> deferredRecipients = new ArrayList<>();
    private final Set<String> deferredTriplets = new HashSet<>(); // their keys (DecidedRecipients#key)
    private final DecidedRecipients decided = new DecidedRecipients();
    private Reply transactionRefusal; // null sender: the refusal a BDAT got; later chunks get it too (null: none)
    private byte[] mailLine; // the MAIL FROM command as the client sent it, parameters included (null: none)
    private final List<byte[]> recipientsAtUpstream = new ArrayList<>();
    private boolean recipientWithdrawn; // the upstream holds a recipient that greylisting refused
    private int transaction; // counts transactions, so that a late reply cannot touch the next one
    private int recipientsTaken; // RCPTs of this transaction greylisting let pass (for the null sender: the upstream took)
    private int recipientsRefused; // and those refused, by greylisting or by the upstream
    private boolean chunked; // a BDAT of this transaction has come: its envelope is closed
    private int holdingTransaction = -1; // the latest transaction of which the upstream took a recipient that passed

    /**
     * The most recipients of one transaction the proxy takes ({@link RecipientLimit}), counted as Postfix counts
     * its {@code smtpd_recipient_limit}: those accepted (here: those greylisting let pass), not every RCPT, so that
     * greylisted recipients do not push a message's known ones into another transaction. The recipients the
     * upstream took are kept for the transaction (to make its envelope again, and a null sender's to decide at
     * DATA), and an upstream without a limit of its own (qmail-smtpd) would otherwise let one client fill the
     * proxy's memory with a single transaction. Refused recipients are bounded alike: each costs a decision, and
     * Postfix bounds them with its error limits, which the proxy does not have.
     */
    static final int MAX_RECIPIENTS = RecipientLimit.PER_MESSAGE;

    /**
     * HELO or EHLO: a new greeting starts over (RFC 5321 4.1.4). {@code name} is the argument as sent, a character
     * a byte; it is read once here, as every client text is ({@link ClientText#fromOctets}), so that the decision
     * and the session line show the same name.
     */
    void greeted(String name) {
        helo = name;
        heloText = ClientText.fromOctets(name);
        mustGreetAgain = false;
        reset();
    }

    /** RFC 3207 4.2: after STARTTLS what the client said before counts for nothing. */
    void forget() {
        helo = "";
        heloText = "";
        authenticated = false;
        mustGreetAgain = true;
        reset();
    }

    /**
     * True after STARTTLS until the client greets again. The upstream never saw the STARTTLS (the proxy answers it)
     * and still holds the greeting from before, so it would take a MAIL the client may not send yet (RFC 3207 4.2):
     * the proxy refuses it, as Postfix does.
     */
    boolean mustGreetAgain() {
        return mustGreetAgain;
    }

    /**
     * MAIL FROM: a new transaction; {@code address} is null when the command's syntax is unusable, {@code line}
     * the command as sent, to be sent again if the upstream's envelope must be made again.
     */
    void mailFrom(String address, byte[] line) {
        reset();
        sender = address;
        mailLine = line;
    }

    /**
     * The upstream refused the MAIL FROM that began {@code ofTransaction} (a bad sender, a nested MAIL): it holds
     * no transaction of that sender, so neither may the proxy, or a later RCPT would be decided for a sender the
     * upstream never took.
     */
    void mailRefused(int ofTransaction) {
        if (ofTransaction == transaction) {
            reset();
        }
    }

    /** RSET, a finished message, the last chunk: the transaction is over. */
    void reset() {
        sender = null;
        deferredRecipients.clear();
        deferredTriplets.clear();
        decided.clear();
        transactionRefusal = null;
        mailLine = null;
        recipientsAtUpstream.clear();
        recipientWithdrawn = false;
        recipientsTaken = 0;
        recipientsRefused = 0;
        chunked = false;
        transaction++;
    }

    /** A BDAT of this transaction has come: the message has begun, and the envelope may no longer change. */
    void chunkCame() {
        chunked = true;
    }

    /** Whether the message of this transaction has begun with a BDAT. */
    boolean chunked() {
        return chunked;
    }

    /**
     * Whether one more RCPT may be decided: fewer than {@link #MAX_RECIPIENTS} taken, and as many refused. Every
     * RCPT before is counted by then: input waits for each decision (and for each of the null sender's RCPTs).
     */
    boolean takesAnotherRecipient() {
        return recipientsTaken < MAX_RECIPIENTS && recipientsRefused < MAX_RECIPIENTS;
    }

    /** A recipient of {@code ofTransaction} passed greylisting (the null sender's: the upstream took it). */
    void recipientTaken(int ofTransaction) {
        if (ofTransaction == transaction) {
            recipientsTaken++;
        }
    }

    /** A recipient of {@code ofTransaction} was refused, by greylisting or by the upstream. */
    void recipientRefused(int ofTransaction) {
        if (ofTransaction == transaction) {
            recipientsRefused++;
        }
    }

    /** Whether the client has named recipients in this transaction that greylisting decided, or refused. */
    boolean recipientsNamed() {
        return recipientsTaken + recipientsRefused > 0;
    }

    /**
     * Whether the upstream holds a recipient of {@code ofTransaction}: one it accepted and greylisting let pass (the
     * null sender's, to be decided at DATA, included). Asked when the upstream answers that transaction's DATA or
     * BDAT, after its answers to the RCPTs before. A refusal of a message whose every recipient was refused,
     * greylisted or refused by the upstream, says nothing the RCPTs' replies did not: a client that pipelines (RFC
     * 2920) sends its DATA before it knows its recipients' fate, and the upstream refuses that DATA ({@code 554 5.5.1
     * Error: no valid recipients} from Postfix, {@code 503} from qmail-smtpd and Exim).
     */
    boolean heldRecipientOf(int ofTransaction) {
        return holdingTransaction == ofTransaction;
    }

    /** The upstream took a recipient of {@code ofTransaction} that greylisting let pass, or will decide at DATA. */
    private void upstreamHolds(int ofTransaction) {
        // Replies come in command order: a later transaction's never comes before an earlier one's.
        holdingTransaction = Math.max(holdingTransaction, ofTransaction);
    }

    /** The transaction in progress, to be named when a reply about it comes later. */
    int transaction() {
        return transaction;
    }

    /** The upstream accepted {@code rcptLine} in {@code ofTransaction}, and greylisting let it pass. */
    void recipientAtUpstream(int ofTransaction, byte[] rcptLine) {
        upstreamHolds(ofTransaction);
        if (ofTransaction == transaction) {
            recipientsAtUpstream.add(rcptLine);
        }
    }

    /** The upstream accepted a recipient of {@code ofTransaction} that greylisting refused: it must leave. */
    void withdrawRecipient(int ofTransaction) {
        if (ofTransaction == transaction) {
            recipientWithdrawn = true;
        }
    }

    /** Whether the upstream's envelope holds a recipient the client was told is refused. */
    boolean recipientWithdrawn() {
        return recipientWithdrawn;
    }

    /** The MAIL FROM line of this transaction, or null. */
    byte[] mailLine() {
        return mailLine;
    }

    /** The RCPT lines the upstream's envelope must hold, in the client's order. */
    List<byte[]> recipientsAtUpstream() {
        return List.copyOf(recipientsAtUpstream);
    }

    /** The upstream's envelope is being made again: nothing is withdrawn any more. */
    void replayed() {
        recipientWithdrawn = false;
    }

    /** SPEC §2: a session the upstream authenticated (235) is not greylisted. */
    void authenticated() {
        authenticated = true;
    }

    /** The HELO/EHLO argument as sent, a character a byte ("" for none): to pass on to the upstream. */
    String helo() {
        return helo;
    }

    /** The HELO/EHLO argument as text ("" for none): for the suspicion rules and the log lines. */
    String heloText() {
        return heloText;
    }

    boolean isAuthenticated() {
        return authenticated;
    }

    /** The sender, "" for the null sender, null before MAIL FROM. */
    String sender() {
        return sender;
    }

    /**
     * Null sender: a recipient the upstream accepted, to be decided at DATA; once per triplet, however often the
     * client named it (see {@link DecidedRecipients}).
     */
    void deferRecipient(int ofTransaction, String recipient) {
        upstreamHolds(ofTransaction);
        if (ofTransaction == transaction && deferredTriplets.add(DecidedRecipients.key(recipient))) {
            deferredRecipients.add(recipient);
        }
    }

    /** The verdicts of this transaction's recipients so far. */
    DecidedRecipients decided() {
        return decided;
    }

    boolean hasDeferredRecipients() {
        return !deferredRecipients.isEmpty();
    }

    /**
     * The recipients waiting for DATA. They stay until they pass: a DATA refused here never reached the upstream,
     * which still holds them, so the client's next DATA must be answered over them again (with the verdicts this
     * transaction already has: see {@link DecidedRecipients}).
     */
    List<String> deferredRecipients() {
        return List.copyOf(deferredRecipients);
    }

    /** Every deferred recipient passed: the DATA goes upstream, and later chunks of the message need no decision. */
    void deferredRecipientsPassed() {
        deferredRecipients.clear();
        deferredTriplets.clear();
    }

    /** Null sender: a BDAT got {@code refusal}, so the rest of the transaction gets it too. */
    void refuseTransaction(Reply refusal) {
        transactionRefusal = refusal;
    }

    boolean transactionRefused() {
        return transactionRefusal != null;
    }

    /** The refusal of {@link #refuseTransaction}, or null. */
    Reply transactionRefusal() {
        return transactionRefusal;
    }
}
