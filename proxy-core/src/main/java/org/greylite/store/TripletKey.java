package org.greylite.store;

import java.util.Objects;

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
}
