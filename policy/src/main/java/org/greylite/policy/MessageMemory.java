package org.greylite.policy;

import java.time.Duration;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

import org.greylite.smtp.RecipientLimit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the service remembers of a Postfix message between its policy requests: the null sender's recipients
 * until its DATA (or END-OF-MESSAGE) is decided, whether that was decided, and whether the message has had its
 * {@code X-Greylist} header. Keyed by Postfix's {@code instance} attribute, which names one message of one smtpd
 * session, and shared by all connections.
 *
 * <h2>Why not per connection</h2>
 * Postfix opens a new policy connection in the middle of a session when the old one reached
 * {@code smtpd_policy_service_max_ttl} or {@code _request_limit}, or the service was restarted. The DATA request
 * of a message to several recipients names none of them: kept per connection, the recipients of a bounce named on
 * the old connection were lost, and the bounce was let through undecided.
 *
 * <h2>Bounds</h2>
 * A message is forgotten {@link #MAX_IDLE} after its last request (twice Postfix's default
 * {@code smtpd_timeout}, the longest a client may be silent between two commands; an address-verification probe,
 * which never reaches DATA, leaves its message here until then), and the least recently asked-about message is
 * forgotten when {@link #MAX_MESSAGES} are remembered. Only the null sender's messages and those given the header
 * are remembered at all, so the count stays far below the cap unless something is wrong; a message forgotten for
 * the cap with recipients still undecided is said in a warning (at most one a minute, with the count), since its
 * DATA will then find none to decide.
 * A message keeps at most {@link #MAX_RECIPIENTS} of the null sender's recipients, each once, and all messages
 * together at most {@link #MAX_RECIPIENT_BYTES} of them: past that, the least recently asked-about messages are
 * forgotten as for the count (see {@link #MAX_RECIPIENT_BYTES} for why).
 *
 * <h2>Why the monotonic clock</h2>
 * How long a message has been idle, and how long since a warning, are measured with {@link System#nanoTime}, which a
 * step of the wall clock does not move. On the wall clock, NTP stepping it forward by ten minutes or more (a host
 * started with its clock behind) forgot every message between its RCPT and its DATA requests: the bounces among them
 * found no recipient to decide at DATA and went in ungreylisted. Stepped back, nothing was forgotten for as long as
 * the step, and the warnings were held back as long.
 *
 * <p>A request without {@code instance} (another MTA speaking the protocol) cannot be told from the next message;
 * its messages are remembered under its connection, as all were before.
 *
 * <p>Synchronized: the I/O thread asks, and with PostgreSQL a decider thread claims the header.
 */
final class MessageMemory {

    private static final Logger LOG = LoggerFactory.getLogger(MessageMemory.class);

    static final Duration MAX_IDLE = Duration.ofMinutes(10);
    static final int MAX_MESSAGES = 10_000;
    /**
     * The null sender's recipients kept for one message ({@link RecipientLimit}). Each is answered DUNNO at once
     * and all are decided in one go at DATA, so without a cap a client could have one message hold, and its DATA
     * decide, any number of them.
     */
    static final int MAX_RECIPIENTS = RecipientLimit.PER_MESSAGE;

    /**
     * The heap the null sender's recipients of all messages may take together, as {@link #cost} counts it. The two
     * caps above allowed ten million of them, and a recipient may be as long as a request line: a client holding
     * a few hundred messages' RCPTs of 2,000-byte addresses (what Postfix passes on) filled the launcher's 256 MiB
     * heap in seconds, the I/O thread died of it, and the process stayed up serving nobody. 32 MiB is over a
     * hundred thousand ordinary addresses, far more than the bounces and notifications a server has between RCPT
     * and DATA, and well inside the heap.
     */
    static final long MAX_RECIPIENT_BYTES = 32L * 1024 * 1024;

    /**
     * A warning about messages forgotten undecided, for the count or for {@link #MAX_RECIPIENT_BYTES}, at most this
     * often: a client that floods would otherwise have one per request written to the log.
     */
    private static final Duration FORGOTTEN_WARNING_EVERY = Duration.ofMinutes(1);

    private static final class Message {
        /** In the order named, each once: a recipient named again is decided once. */
        final LinkedHashSet<String> nullSenderRecipients = new LinkedHashSet<>();
        boolean recipientsCapped;
        /** The {@link #cost} of {@link #nullSenderRecipients}. */
        long recipientBytes;
        boolean decidedAtData;
        /** The request the {@code X-Greylist} header was given to, or null. */
        Object headerGivenTo;
        /** {@link #nanoTime} at its last request. */
        long lastRequest;
    }

    private final LongSupplier nanoTime;
    private final int maxMessages;
    /** The {@link #cost} of every message's null sender's recipients. */
    private long recipientBytes;
    /** {@link #nanoTime} at the last warning of each kind; null before the first. */
    private Long lastBudgetWarning;
    private Long lastCountWarning;
    private int forgottenForCount;
    private String lastForgottenForCount;
    /** Whether a request has come at DATA or END-OF-MESSAGE since the start ({@link #askedAtData}). */
    private boolean askedAtData;
    private boolean warnedNeverAskedAtData;
    private int forgottenForBudget;
    /** In access order: the least recently asked-about message first, where the sweep and the cap look. */
    private final LinkedHashMap<String, Message> messages = new LinkedHashMap<>(64, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Message> eldest) {
            if (size() <= maxMessages) {
                return false;
            }
            recipientBytes -= eldest.getValue().recipientBytes;
            if (!eldest.getValue().nullSenderRecipients.isEmpty()) {
                forgottenForCount++; // said by warnForgottenForCount, at most once a minute
                lastForgottenForCount = eldest.getKey();
            }
            return true;
        }
    };

    /** @param nanoTime the monotonic clock ({@link System#nanoTime}; tests pass one they move) */
    MessageMemory(LongSupplier nanoTime) {
        this(nanoTime, MAX_MESSAGES);
    }

    MessageMemory(LongSupplier nanoTime, int maxMessages) {
        this.nanoTime = nanoTime;
        this.maxMessages = maxMessages;
    }

    /** The key of the request's message: its instance, or without one its connection's name. */
    static String key(PolicyRequest request, String connection) {
        String instance = request.get("instance");
        return instance.isEmpty() ? "connection " + connection : "instance " + instance;
    }

    /**
     * A recipient of the null sender, to be decided at its DATA; past {@link #MAX_RECIPIENTS} left out, with one
     * warning for the message.
     */
    synchronized void addNullSenderRecipient(String key, String recipient) {
        Message m = message(key);
        if (m.nullSenderRecipients.size() < MAX_RECIPIENTS) {
            if (m.nullSenderRecipients.add(recipient)) {
                m.recipientBytes += cost(recipient);
                recipientBytes += cost(recipient);
                keepWithinBudget(key);
            }
        } else if (!m.nullSenderRecipients.contains(recipient) && !m.recipientsCapped) {
            m.recipientsCapped = true;
            LOG.warn("{}: the null sender named more than {} recipients; those past the first {} are not decided at "
                    + "its DATA", RequestFramer.shorten(key), MAX_RECIPIENTS, MAX_RECIPIENTS);
        }
    }

    /**
     * For the null sender's DATA or END-OF-MESSAGE: the recipients its RCPT requests named, now to be decided,
     * and the message marked decided (its recipients forgotten); null when it was decided already.
     */
    synchronized List<String> takeForDataDecision(String key) {
        Message m = message(key);
        if (m.decidedAtData) {
            return null;
        }
        m.decidedAtData = true;
        List<String> recipients = List.copyOf(m.nullSenderRecipients);
        m.nullSenderRecipients.clear();
        recipientBytes -= m.recipientBytes;
        m.recipientBytes = 0;
        return recipients;
    }

    /**
     * Whether the message may have the {@code X-Greylist} header, which it may once: true for the first request that
     * asks, and for that request again. A request is decided again when the transaction of its turn could not be
     * committed ({@link DecisionTurn}); its first answer was never sent, so the header is still its own. Claimed for
     * good at the first asking, the retry that passed lost its header.
     *
     * @param request the request the answer is for (compared by identity)
     */
    synchronized boolean claimHeader(String key, Object request) {
        Message m = message(key);
        if (m.headerGivenTo != null) {
            return m.headerGivenTo == request;
        }
        m.headerGivenTo = request;
        return true;
    }

    /** The {@link #cost} of the recipients remembered, over all messages. */
    synchronized long recipientBytes() {
        return recipientBytes;
    }

    synchronized int size() {
        forgetIdle(nanoTime.getAsLong());
        return messages.size();
    }

    private Message message(String key) {
        long now = nanoTime.getAsLong();
        forgetIdle(now);
        Message m = messages.computeIfAbsent(key, k -> new Message());
        m.lastRequest = now;
        warnForgottenForCount(now);
        return m;
    }

    /**
     * A request at DATA or END-OF-MESSAGE came, for any message: Postfix asks the service there, so the null sender's
     * recipients are decided (see {@link #forgetIdle}).
     */
    synchronized void askedAtData() {
        askedAtData = true;
    }

    /**
     * Drops the messages idle for longer than {@link #MAX_IDLE}: they are at the head, in access order.
     *
     * <p>One whose null sender's recipients were never decided is what a probe leaves, and also what every bounce
     * leaves where main.cf asks the service at RCPT only, as a postgrey site's does: its null sender is then never
     * greylisted, and nothing else would say so. Once any request has come at DATA, Postfix asks there; before that, the
     * first such message forgotten gets a warning saying what to add.
     */
    private void forgetIdle(long now) {
        for (Iterator<Map.Entry<String, Message>> i = messages.entrySet().iterator(); i.hasNext(); ) {
            Map.Entry<String, Message> e = i.next();
            Message m = e.getValue();
            if (now - m.lastRequest < MAX_IDLE.toNanos()) {
                return;
            }
            if (!askedAtData && !warnedNeverAskedAtData && !m.nullSenderRecipients.isEmpty()) {
                warnedNeverAskedAtData = true;
                LOG.warn("{}: its null sender's recipients were left to be decided at DATA, but no request at DATA has "
                        + "come since the start: unless main.cf has check_policy_service in smtpd_data_restrictions "
                        + "(examples/postfix-policy/main.cf.snippet), mail from the null sender is never greylisted",
                        RequestFramer.shorten(e.getKey()));
            }
            recipientBytes -= m.recipientBytes;
            i.remove();
        }
    }

    /**
     * Forgets the least recently asked-about messages but {@code keep} (the one just added to, asked about last)
     * while the recipients take more than {@link #MAX_RECIPIENT_BYTES}; one message alone stays within it
     * ({@link #MAX_RECIPIENTS} of the longest line). Their DATA will find no recipient to decide, as after the count
     * cap: said in a warning, at most once a minute, since a client that floods would have one per request.
     */
    private void keepWithinBudget(String keep) {
        for (Iterator<Map.Entry<String, Message>> i = messages.entrySet().iterator();
             recipientBytes > MAX_RECIPIENT_BYTES && i.hasNext(); ) {
            Map.Entry<String, Message> eldest = i.next();
            if (eldest.getKey().equals(keep)) {
                continue;
            }
            recipientBytes -= eldest.getValue().recipientBytes;
            if (!eldest.getValue().nullSenderRecipients.isEmpty()) {
                forgottenForBudget++;
            }
            i.remove();
        }
        long now = nanoTime.getAsLong();
        if (forgottenForBudget > 0 && (lastBudgetWarning == null
                || now - lastBudgetWarning >= FORGOTTEN_WARNING_EVERY.toNanos())) {
            LOG.warn("the null sender's recipients remembered reached {} MiB: {} message(s) whose recipients were not "
                    + "decided yet forgotten, the least recently asked about", MAX_RECIPIENT_BYTES >> 20, forgottenForBudget);
            lastBudgetWarning = now;
            forgottenForBudget = 0;
        }
    }

    /** The warning for messages forgotten undecided at the count cap, at most once a minute (see the cap's). */
    private void warnForgottenForCount(long now) {
        if (forgottenForCount > 0 && (lastCountWarning == null
                || now - lastCountWarning >= FORGOTTEN_WARNING_EVERY.toNanos())) {
            LOG.warn("{} Postfix messages remembered: {} message(s) whose null sender's recipients were not decided yet "
                    + "forgotten, the least recently asked about, the last {}", maxMessages, forgottenForCount,
                    RequestFramer.shorten(lastForgottenForCount));
            lastCountWarning = now;
            forgottenForCount = 0;
        }
    }

    /**
     * What a remembered recipient is taken to hold of the heap: two bytes a character (a Java string holds one a
     * character when it can, two otherwise) and about a hundred for the string, its array and the set's entry. The
     * overhead counts: without it, a flood of one-character addresses would be cheap by this count and not in memory.
     */
    static long cost(String recipient) {
        return 2L * recipient.length() + 100;
    }
}
