package org.greylite.testing;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.IntFunction;

/**
 * The messages one client of a kill -9 test ({@link LoadThenKill}) sends until the program is gone: each from a new
 * address of its own, so that under client key {@code ip} no pass whitelists another message's client; every third
 * sent again at once, which passes when the program runs with no delay. The first attempts are recorded refusals,
 * the retries passes: both kinds of answer that {@link AcknowledgedAnswers} checks.
 */
public final class RetriedMessages {

    /** Sends one message once and records what the client received. */
    @FunctionalInterface
    public interface Attempt {
        /** @return false when the program gave no answer (it is gone) */
        boolean send(String client, List<String> recipients) throws IOException;
    }

    private RetriedMessages() {
    }

    /**
     * Sends messages, each from a random address of {@code firstOctet}/8, until an attempt says the program is gone,
     * or throws.
     *
     * @param recipients the recipients of the {@code n}th message (from 1): new ones at each message
     */
    public static void sendUntilGone(int firstOctet, IntFunction<List<String>> recipients, Attempt attempt)
            throws IOException {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        for (int n = 1; ; n++) {
            String client = firstOctet + "." + (1 + random.nextInt(254)) + "." + random.nextInt(256) + "."
                    + (1 + random.nextInt(254));
            List<String> to = recipients.apply(n);
            for (int a = 0; a < (n % 3 == 0 ? 2 : 1); a++) {
                if (!attempt.send(client, to)) {
                    return;
                }
            }
        }
    }

    /** One recipient for even messages, two for odd ones, named after the message and {@code sender}. */
    public static IntFunction<List<String>> oneOrTwoRecipients(String sender) {
        return n -> n % 2 == 0 ? List.of("r" + n + "-" + sender) : List.of("r" + n + "-" + sender, "q" + n + "-" + sender);
    }

    /** One recipient a message, named after the message and {@code sender}. */
    public static IntFunction<List<String>> oneRecipient(String sender) {
        return n -> List.of("r" + n + "-" + sender);
    }
}
