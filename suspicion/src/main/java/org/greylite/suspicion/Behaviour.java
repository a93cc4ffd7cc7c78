package org.greylite.suspicion;

import java.util.Locale;
import java.util.Optional;

/** Client behaviours that {@code b} rules test (SPEC §5). The proxy observes them and hands them in. */
public enum Behaviour {
    /** The client sent something before the greeting. */
    GREETDELAY,
    /** The client retried a triplet sooner than greylite's schedule allows. */
    RETRYINTERVAL,
    /** The server answered one of the client's commands in this session with a 5xx reply. */
    COMMANDERRORS;

    /** The keyword as written in a suspicion file. */
    public String keyword() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Optional<Behaviour> fromKeyword(String word) {
        for (Behaviour b : values()) {
            if (b.keyword().equals(word)) {
                return Optional.of(b);
            }
        }
        return Optional.empty();
    }
}
