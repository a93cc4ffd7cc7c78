package org.greylite.greylist;

import java.util.Locale;

/**
 * A triplet's sender and recipient as the greydb keys them: in lower case (SPEC §3: addresses compare
 * case-insensitively, in every script: {@code JÖS@} is {@code jös@}), the sender without its per-message tags when
 * senders are normalised ({@link SenderNormalizer}). The engine keys with these, and hands them to the suspicion
 * rules beside the addresses as written, so that no spelling of a key steps round a line another spelling of it
 * matches; {@code greylitectl suspicion explain} shows the same.
 */
public final class KeyedAddress {

    private KeyedAddress() {
    }

    /** The sender as keyed; {@code normalize}: SRS, BATV, {@code +tag} and VERP numbers dropped. */
    public static String sender(String sender, boolean normalize) {
        return normalize ? SenderNormalizer.normalize(sender) : sender.toLowerCase(Locale.ROOT);
    }

    public static String recipient(String recipient) {
        return recipient.toLowerCase(Locale.ROOT);
    }
}
