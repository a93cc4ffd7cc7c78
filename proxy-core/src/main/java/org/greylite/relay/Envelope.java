package org.greylite.relay;

import java.util.ArrayList;
import java.util.List;

import org.greylite.smtp.Reply;

/**
 * What the client has said about itself and its mail so far: its HELO, whether the upstream authenticated it,
 * and the transaction in progress (the sender, and the null sender's recipients waiting for DATA).
 */
final class Envelope {

    private String helo = "";
    private boolean authenticated;
    private String sender; // null: no MAIL FROM yet
    private final List<String> deferredRecipients = new ArrayList<>();
    private Reply transactionRefusal; // null sender: the refusal a BDAT got; later chunks get it too (null: none)

    /** HELO or EHLO: a new greeting starts over (RFC 5321 4.1.4). */
    void greeted(String name) {
        helo = name;
        reset();
    }

    /** RFC 3207 4.2: after STARTTLS what the client said before counts for nothing. */
    void forget() {
        helo = "";
        authenticated = false;
        reset();
    }

    /** MAIL FROM: a new transaction; {@code address} is null when the command's syntax is unusable. */
    void mailFrom(String address) {
        reset();
        sender = address;
    }

    /** RSET, a finished message, the last chunk: the transaction is over. */
    void reset() {
        sender = null;
        deferredRecipients.clear();
        transactionRefusal = null;
    }

    /** SPEC §2: a session the upstream authenticated (235) is not greylisted. */
    void authenticated() {
        authenticated = true;
    }

    String helo() {
        return helo;
    }

    boolean isAuthenticated() {
        return authenticated;
    }

    /** The sender, "" for the null sender, null before MAIL FROM. */
    String sender() {
        return sender;
    }

    /** Null sender: a recipient the upstream accepted, to be decided at DATA. */
    void deferRecipient(String recipient) {
        deferredRecipients.add(recipient);
    }

    boolean hasDeferredRecipients() {
        return !deferredRecipients.isEmpty();
    }

    /** The recipients waiting for DATA, handed out once. */
    List<String> takeDeferredRecipients() {
        List<String> all = List.copyOf(deferredRecipients);
        deferredRecipients.clear();
        return all;
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
