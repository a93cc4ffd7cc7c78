package org.greylite.greydaemon;

import java.net.InetAddress;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

import org.greylite.greylist.DecisionListener;
import org.greylite.greylist.DecisionLog;
import org.greylite.greylist.GreylistSettings;
import org.greylite.greylist.Greylister;
import org.greylite.greylist.KeyedAddress;
import org.greylite.greylist.KnownSenders;
import org.greylite.greylist.RcptRequest;
import org.greylite.greylist.Verdict;
import org.greylite.net.AddressText;
import org.greylite.store.GreylistStore;
import org.greylite.store.TripletKey;
import org.greylite.suspicion.ClientFacts;
import org.greylite.suspicion.SuspicionPolicy;

/**
 * greydaemon's answers from the greylisting engine: the one class of this program that speaks the engine's
 * API ({@link Greylister}, {@link RcptRequest}, {@link ClientFacts}, {@link Verdict}), so that a change of
 * that API is made here and nowhere else.
 *
 * <p>A request carries a whole message (one client, one sender, its recipients); the engine decides one
 * triplet at a time. The mapping:
 * <ol>
 * <li>A client in a {@code -w} range: every recipient is skipped ({@code 1,1}); nothing is written.</li>
 * <li>The null sender to a VERP-style recipient (a {@code -} and later an {@code =}, greydaemon's test): a
 *     bounce of mail sent from here, every recipient skipped ({@code 1,4}); nothing is written. Unless the
 *     administrators' blacklist holds the client: then its recipients go to the engine as in the next rule,
 *     which refuses them ({@code 0,2}), so that a blacklisted client cannot get its mail in by making it look
 *     like a bounce. Or unless the address is known: greydaemon looked at the client first and answered a known
 *     one {@code 1,2} whatever it sent, renewing it; so its recipients go to the engine too, which answers them
 *     as known and renews the entry, and a client whose only mail for a while was bounces stays known.</li>
 * <li>Otherwise each recipient is decided by the engine, in order, once however often the message lists it
 *     ({@link #onePerTriplet}), each decision committed in the greydb before the next (and so before the answer). Per triplet: accepted because the client is on the
 *     whitelist (it passed within {@code -t} days) {@code 1,2}; accepted otherwise (passed now, a known
 *     triplet, a known sender, postmaster@...) {@code 1,3}; a first attempt {@code 0,1}, or {@code 0,3} when
 *     the triplet had an expired row (a stale entry restarted); a retry too soon, or one that needs more
 *     refusals under the suspicion rules, {@code 0,2}; the administrators' blacklist also {@code 0,2}, the
 *     only refusal the patched qmail-smtpd can give (it answers every {@code 0,x} with a temporary failure).</li>
 * <li>The message's answer: if any recipient was refused, the code of the last one refused (greydaemon
 *     overwrote its answer at each recipient, so the last refusal was the one sent); else {@code 1,2} when
 *     every recipient was accepted as from a known address, else {@code 1,3}.</li>
 * </ol>
 * As with greydaemon, the recipients of a message that is let in are all let in, and a recipient that
 * passes puts the client on the whitelist, so its other recipients (and later messages) pass too.
 *
 * <p>The requests that were waiting together are decided together ({@link #decideAll}): all their recipients in
 * one call of the engine, so in one greydb transaction, in the order they came, with the answers one request
 * after another would have had.
 *
 * <p>Not thread-safe: one thread, the greydb thread, decides.
 */
final class EngineDecisions implements AutoCloseable {

    private final Greylister greylister;
    private final RowWitness store;
    /** The -w ranges in force (read again at SIGHUP). */
    private final Supplier<WhitelistRanges> ranges;
    private final ClientScreen screen;

    EngineDecisions(GreylistStore greydb, SuspicionPolicy rules, GreylistSettings settings, KnownSenders knownSenders,
                    WhitelistRanges ranges, Clock clock) {
        this(greydb, rules, settings, () -> knownSenders, () -> ranges, clock, DecisionListener.NONE);
    }

    /**
     * @param knownSenders the known senders in force at each decision, and {@code ranges} the -w ranges (both read
     *                     again at SIGHUP)
     * @param counted      told of every decision the log is told of (the metrics)
     */
    EngineDecisions(GreylistStore greydb, SuspicionPolicy rules, GreylistSettings settings,
                    Supplier<KnownSenders> knownSenders, Supplier<WhitelistRanges> ranges, Clock clock,
                    DecisionListener counted) {
        this.store = new RowWitness(greydb);
        this.ranges = ranges;
        this.screen = new ClientScreen(new DecisionLog().andThen(counted), greydb, settings, clock);
        // A greydb failure when failing closed is answered as a retry too soon (answer() below): the log says so.
        this.greylister = new Greylister(store, rules, settings, clock, screen, knownSenders,
                Answer.TOO_SOON.toString());
        screen.use(greylister);
    }

    /**
     * The answers to {@code requests}, in their order, decided as one after the other would be, every decision
     * committed in the greydb when this returns (in one transaction where the greydb allows it).
     *
     * @param askedNanos {@link System#nanoTime()} when the oldest of them came
     */
    List<Answer> decideAll(List<Request> requests, long askedNanos) {
        Answer[] fixed = new Answer[requests.size()];
        int[] decided = new int[requests.size()]; // how many recipients of each request go to the engine
        List<RcptRequest> rcpts = new ArrayList<>();
        WhitelistRanges inForce = ranges.get(); // one version for the batch, whatever a SIGHUP does meanwhile
        for (int i = 0; i < fixed.length; i++) {
            Request r = requests.get(i);
            String address = AddressText.of(r.client());
            if (inForce.contains(r.client())) {
                fixed[i] = Answer.WHITELISTED_RANGE;
                skipAll(r, address, inForce.describe(), rcpts);
            } else if (r.sender().isEmpty() && r.recipients().stream().anyMatch(EngineDecisions::verpStyle)
                    && screen.of(r.client()) == ClientScreen.Standing.OTHER) {
                fixed[i] = Answer.VERP_BOUNCE;
                skipAll(r, address, "verp-bounce", rcpts);
            } else {
                List<String> distinct = onePerTriplet(r.recipients());
                decided[i] = distinct.size();
                for (String rcpt : distinct) {
                    rcpts.add(new RcptRequest(r.client(), facts(address, r.sender(), rcpt), null));
                }
            }
        }
        store.reset();
        List<Verdict> verdicts = greylister.decideAll(rcpts, askedNanos);
        List<Answer> answers = new ArrayList<>(fixed.length);
        int next = 0;
        for (int i = 0; i < fixed.length; i++) {
            int n = fixed[i] != null ? requests.get(i).recipients().size() : decided[i];
            answers.add(fixed[i] != null ? fixed[i] : message(verdicts.subList(next, next + n)));
            next += n;
        }
        return answers;
    }

    /**
     * The recipients of one message, each triplet once (the first spelling kept): the engine keys a recipient in
     * lower case, so {@code Bob@example.org} after {@code bob@example.org} is the same triplet. qmail-smtpd lists
     * every RCPT as it came, and decided twice, the second would be a retry of the first, sooner than greylite's
     * schedule: the client would show the {@code retryinterval} behaviour for the whole retry window for one
     * message addressed to someone twice. A message is one attempt of each of its triplets.
     */
    private static List<String> onePerTriplet(List<String> recipients) {
        if (recipients.size() == 1) {
            return recipients;
        }
        Set<String> seen = new HashSet<>();
        List<String> distinct = new ArrayList<>(recipients.size());
        for (String rcpt : recipients) {
            if (seen.add(rcpt.toLowerCase(Locale.ROOT))) {
                distinct.add(rcpt);
            }
        }
        return distinct;
    }

    /**
     * The answer to a request whose I field was read but that lists no recipient to decide, as greydaemon answered
     * it: from the client alone, for an address in a {@code -w} range ({@code 1,1}) or a known one ({@code 1,2}),
     * whatever the rest of the request was (greydaemon looked at the client before the other fields); otherwise
     * {@code 1,3} for a request that lists no {@code T} field at all (a message with nothing to greylist), and
     * no answer (null) for one that is malformed after its I field. The administrators' blacklist answers
     * {@code 0,2} before a known address does, as it does for a triplet. Nothing is written.
     *
     * @param listsNone true when the request is well formed and only lists no recipient
     */
    Answer withoutRecipients(InetAddress client, boolean listsNone) {
        if (ranges.get().contains(client)) {
            return Answer.WHITELISTED_RANGE;
        }
        switch (screen.of(client)) {
            case BLACKLISTED:
                return Answer.TOO_SOON;
            case KNOWN:
                return Answer.KNOWN_ADDRESS;
            default:
                return listsNone ? Answer.PASSED : null;
        }
    }

    /** A message's answer from its recipients' verdicts (rule 4 above). */
    private Answer message(List<Verdict> verdicts) {
        Answer refused = null;
        boolean allKnownAddress = true;
        for (Verdict v : verdicts) {
            Answer a = answer(v, store.sawRow(v));
            if (!a.accepts()) {
                refused = a;
            }
            allKnownAddress &= a == Answer.KNOWN_ADDRESS;
        }
        if (refused != null) {
            return refused;
        }
        return allKnownAddress ? Answer.KNOWN_ADDRESS : Answer.PASSED;
    }

    private static Answer answer(Verdict v, boolean hadRow) {
        switch (v.action()) {
            case ACCEPT:
                return v.reason() == Verdict.Reason.WHITELISTED ? Answer.KNOWN_ADDRESS : Answer.PASSED;
            case GREYLIST:
                if (v.reason() == Verdict.Reason.FIRST_ATTEMPT) {
                    return hadRow ? Answer.STALE : Answer.NEW;
                }
                return Answer.TOO_SOON;
            default: // REJECT (blacklisted), TEMPFAIL (greydb failure with fail-closed): refused, retry later
                return Answer.TOO_SOON;
        }
    }

    /**
     * The engine still sees (and logs, at debug level) each recipient, as skipped, with why: {@code
     * reason=skipped(WHITELISTED=-w:FILE)} for an address in a {@code -w} range, {@code
     * reason=skipped(WHITELISTED=verp-bounce)} for a bounce to a VERP address, so that {@code -d} tells the two
     * answers (1,1 and 1,4) apart.
     */
    private static void skipAll(Request r, String address, String why, List<RcptRequest> into) {
        // WHITELISTED is how greylite(8) is told a client skips greylisting (tcprules sets it); its value says why.
        Map<String, String> whitelisted = Map.of("WHITELISTED", why);
        for (String rcpt : r.recipients()) {
            into.add(new RcptRequest(r.client(),
                    ClientFacts.withoutNames(address, r.sender(), rcpt, whitelisted, Set.of()), "WHITELISTED"));
        }
    }

    /** greydaemon's test for a bounce to a VERP address: a '-' and, after it, an '='. */
    static boolean verpStyle(String recipient) {
        int dash = recipient.indexOf('-');
        return dash >= 0 && recipient.indexOf('=', dash + 1) > 0;
    }

    /** No PTR name (greydaemon is told none and looks none up), no HELO, no variables. */
    private static ClientFacts facts(String address, String sender, String recipient) {
        return ClientFacts.withoutNames(address, sender, recipient, Map.of(), Set.of());
    }

    /** Removes expired greydb rows now. */
    int purgeExpired() {
        return greylister.purgeExpired();
    }

    String describeGreydb() {
        return store.describe();
    }

    /**
     * The greydb key the engine gives this triplet, for rows written outside it (the import of an old save
     * file): the client key of the settings, the sender normalised as the engine normalises it.
     */
    static TripletKey tripletKey(GreylistSettings settings, InetAddress client, String sender, String recipient) {
        return new TripletKey(settings.clientKeys().keyFor(client, ""),
                KeyedAddress.sender(sender, settings.normalizeSenders()), KeyedAddress.recipient(recipient));
    }

    /** The client key the engine gives an address, for the whitelist rows of the import. */
    static String clientKey(GreylistSettings settings, InetAddress client) {
        return settings.clientKeys().keyFor(client, "");
    }

    @Override
    public void close() {
        store.close();
    }
}
