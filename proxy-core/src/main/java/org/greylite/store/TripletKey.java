package org.greylite.store;

import java.util.Objects;

import org.greylite.text.ClientText;

/**
 * The greylisting key: who sends (client key), from whom, to whom. Sender and recipient are stored
 * lower case: addresses compare case-insensitively.
 */
public record TripletKey(String client, String sender, String recipient) {
    public TripletKey {
        Objects.requireNonNull(client, "client");
        Objects.requireNonNull(sender, "sender");
        Objects.requireNonNull(recipient, "recipient");
    }

    /**
     * The triplet as the decision line shows it ({@code client=KEY from=<SENDER> to=<RECIPIENT>}), each value as
     * {@link ClientText#field} shows a client's text: a greydb error names the key it could not record, and the
     * record's own text held the addresses exactly as the client sent them, controls and all.
     */
    @Override
    public String toString() {
        return "client=" + ClientText.field(client) + " from=<" + ClientText.field(sender)
                + "> to=<" + ClientText.field(recipient) + ">";
    }
}
