package org.greylite.policy;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Consumer;

import org.greylite.config.RepeatedWarning;
import org.greylite.connect.DnswlLookup;
import org.greylite.connect.PtrLookup;
import org.greylite.net.AddressText;
import org.greylite.policy.PolicyDecisions.Outcome;
import org.greylite.policy.PolicyDecisions.Query;
import org.greylite.text.ClientText;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the service answers to each policy request: the decision is taken at {@code protocol_state=RCPT}
 * for a message with a sender, and for the null sender at {@code DATA} (or {@code END-OF-MESSAGE}, when
 * only the end-of-data restrictions ask) over the recipients its RCPT requests named, on whichever connection
 * ({@link MessageMemory}), as the proxy greylists the null sender at DATA: an address-verification probe
 * ({@code MAIL FROM:<>}, {@code RCPT}, {@code QUIT}) is never delayed. A null sender whose RCPT requests the
 * service never saw (an earlier restriction let the client through) is not decided at DATA. Every other request
 * gets {@code DUNNO}, the first at each earlier stage with a warning ({@link StagesWithoutDecision}). A client that
 * authenticated (Postfix's {@code sasl_username}) is not greylisted.
 *
 * <p>The client's name is Postfix's {@code client_name}, which Postfix has verified forward and back
 * ({@code unknown} when it has none): it feeds {@code r} rules and smart client keys. The
 * unverified {@code reverse_client_name} is not used: a name the client's own DNS chose could claim a
 * known sender's domain. A request without {@code client_name} (an older Postfix, another MTA speaking the
 * protocol) has the name looked up as greylited looks it up ({@link PtrLookup}: forward-confirmed, cached);
 * {@code unknown} is not looked up again, since it is Postfix's own verified answer.
 *
 * <p>With {@code --dnswl}, a client listed on a DNS whitelist skips greylisting ({@code dnswl:ZONE}, as in
 * greylited). The lookups are greylited's ({@link DnswlLookup}, {@link PtrLookup}: asynchronous, cached per
 * address for the record's TTL, a failure or timeout no listing or no name); the decision waits for both
 * without holding a thread, and resumes on the I/O thread, from where it goes to the decider as any other. The
 * I/O thread goes on serving the other connections meanwhile; this connection's next request waits, as it waits
 * for any decision.
 */
final class PolicyService {

    private static final Logger LOG = LoggerFactory.getLogger(PolicyService.class);

    private final PolicyDecisions decisions;
    private final java.util.function.Supplier<PostgreyWhitelists> whitelists;
    private final Answers answers;
    private final Executor decider;
    private final PolicyMetrics metrics;
    private final DnswlLookup dnswl;
    private final PtrLookup ptr;
    private final MessageMemory messages;
    private final StagesWithoutDecision stagesWithoutDecision = new StagesWithoutDecision();
    private final RepeatedWarning unknownKindWarning = new RepeatedWarning();

    /**
     * @param whitelists the postgrey whitelists in force (SIGHUP replaces them)
     * @param decider    where the blocking decisions run: the caller's thread ({@code Runnable::run}) or a pool
     * @param dnswl      the DNS whitelists of {@code --dnswl}, or null without
     * @param ptr        the PTR lookups for requests without {@code client_name}, or null ({@code --ptr-timeout 0})
     * @param messages   what is remembered of each message between its requests, over all connections
     */
    PolicyService(PolicyDecisions decisions, java.util.function.Supplier<PostgreyWhitelists> whitelists, Answers answers, Executor decider,
                  PolicyMetrics metrics, DnswlLookup dnswl, PtrLookup ptr, MessageMemory messages) {
        this.decisions = decisions;
        this.whitelists = whitelists;
        this.answers = answers;
        this.decider = decider;
        this.metrics = metrics;
        this.dnswl = dnswl;
        this.ptr = ptr;
        this.messages = messages;
    }

    PolicyMetrics metrics() {
        return metrics;
    }

    /**
     * Answers one request: {@code reply} gets the action (without {@code action=}), on this thread when no
     * decision was needed or the decider runs here, else on a decider thread or, after a DNS whitelist or PTR
     * lookup that did not answer at once, on {@code ioThread}.
     *
     * @param connection the name of the connection the request came on, unique in the process: the message's key when
     *                   the request has no {@code instance} (see {@link MessageMemory})
     * @param ioThread   runs a task on the thread that calls this method, later (the server's I/O thread)
     */
    void handle(PolicyRequest request, String connection, Executor ioThread, Consumer<String> reply) {
        if (!"smtpd_access_policy".equals(request.get("request"))) {
            // Once a minute at most: a client sending nothing else would otherwise write a line per request.
            long skipped = unknownKindWarning.admit();
            if (skipped >= 0) {
                LOG.warn("policy request of kind '{}' answered DUNNO: only smtpd_access_policy is known{}",
                        RequestFramer.shorten(request.get("request")), RepeatedWarning.more(skipped));
            }
            reply.accept(Answers.DUNNO);
            return;
        }
        String message = MessageMemory.key(request, connection);
        String stage = request.get("protocol_state").toUpperCase(Locale.ROOT);
        metrics.request(stage);
        boolean nullSender = request.get("sender").isEmpty();
        switch (stage) {
            case "RCPT":
                if (request.get("recipient").isEmpty()) {
                    // Postfix always names it at RCPT: without one there is no triplet to decide, only a broken
                    // client to tell the administrator about. postgrey answers DUNNO too ("attribute missing").
                    LOG.warn("policy request at RCPT from {} without a recipient answered DUNNO",
                            RequestFramer.shorten(request.get("client_address")));
                    reply.accept(Answers.DUNNO);
                    return;
                }
                if (nullSender) {
                    // Decided at DATA: a probe that never gets there must get the real answer.
                    messages.addNullSenderRecipient(message, request.get("recipient"));
                    reply.accept(Answers.DUNNO);
                    return;
                }
                decideLater(request, message, List.of(request.get("recipient")), true, ioThread, reply);
                return;
            case "DATA":
            case "END-OF-MESSAGE":
                messages.askedAtData();
                List<String> recipients = nullSender ? messages.takeForDataDecision(message) : null;
                // A sender's message was decided at RCPT; a null sender's at DATA, before this END-OF-MESSAGE. One
                // whose RCPT requests named no recipient is not decided either, even when this request names one
                // (Postfix fills in the recipient of a message that has exactly one): a client that
                // permit_mynetworks or permit_sasl_authenticated let through before check_policy_service at RCPT
                // was never asked about at RCPT, and must not be greylisted at DATA for want of those requests.
                if (recipients == null || recipients.isEmpty()) {
                    reply.accept(Answers.DUNNO);
                    return;
                }
                // PREPEND cannot run once the content is in (Postfix refuses it in end-of-data restrictions).
                decideLater(request, message, recipients, stage.equals("DATA"), ioThread, reply);
                return;
            default:
                if (stagesWithoutDecision.firstAskedAt(stage)) {
                    LOG.warn("policy request at protocol_state={} answered DUNNO, as every one there will be (said once):"
                            + " nothing is greylisted before RCPT, where the recipient is known; put check_policy_service"
                            + " in smtpd_recipient_restrictions (and smtpd_data_restrictions for the null sender), not"
                            + " in the restrictions of an earlier stage with smtpd_delay_reject=no", stage);
                }
                reply.accept(Answers.DUNNO);
        }
    }

    private void decideLater(PolicyRequest request, String message, List<String> recipients, boolean mayPrepend,
                             Executor ioThread, Consumer<String> reply) {
        InetAddress client = address(request.get("client_address"));
        if (client == null) {
            LOG.warn("policy request without a usable client_address ('{}') answered DUNNO",
                    RequestFramer.shorten(request.get("client_address")));
            reply.accept(Answers.DUNNO);
            return;
        }
        CompletableFuture<Optional<String>> listing = dnswl == null ? NOT_LISTED
                : dnswl.lookup(client).exceptionally(failure -> Optional.empty());
        CompletableFuture<String> name = clientName(request, client);
        if (listing.isDone() && name.isDone()) {
            // No lookup, or the answers cached: decided at once, with no hand-off.
            decideOn(request, message, client, name.join(), recipients, mayPrepend, listing.join(), reply);
            return;
        }
        // The lookups complete on a DNS thread, which must not wait for the greydb (other lookups complete there)
        // nor decide on an SQLite greydb whose decisions belong to the I/O thread: back to the I/O thread first,
        // once both have answered (each is bounded by --ptr-timeout and never fails).
        CompletableFuture.allOf(listing, name).whenComplete((done, failure) -> ioThread.execute(() -> decideOn(request,
                message, client, name.join(), recipients, mayPrepend, listing.join(), reply)));
    }

    /**
     * The client's name for {@code r} rules and smart keys, lower case, empty for none: Postfix's {@code client_name}
     * when the request has one ({@code unknown}: none, Postfix's verified answer, not asked again), else the
     * forward-confirmed PTR name looked up here.
     */
    private CompletableFuture<String> clientName(PolicyRequest request, InetAddress client) {
        if (request.has("client_name")) {
            String given = request.get("client_name");
            return CompletableFuture.completedFuture(
                    given.equalsIgnoreCase("unknown") ? "" : given.toLowerCase(Locale.ROOT));
        }
        return ptr == null ? NO_NAME : ptr.lookup(client);
    }

    private void decideOn(PolicyRequest request, String message, InetAddress client, String ptrName,
                          List<String> recipients, boolean mayPrepend, Optional<String> dnswlZone,
                          Consumer<String> reply) {
        decider.execute(() -> {
            String answer;
            long start = System.nanoTime();
            try {
                answer = decide(request, message, client, ptrName, recipients, mayPrepend, dnswlZone.orElse(null));
                metrics.decisionTook(System.nanoTime() - start);
            } catch (RuntimeException | StackOverflowError | LinkageError e) {
                // A defect, a rule too deep for the stack, a class a package upgrade took away under the running
                // service: this request is answered, and the I/O thread that may have run it goes on.
                LOG.error("policy decision failed unexpectedly, answered DUNNO", e);
                answer = Answers.DUNNO;
            }
            reply.accept(answer);
        });
    }

    /**
     * Blocking: one engine decision per recipient, every recipient decided (so that each is recorded and
     * its retry counts); a blacklisting, then a greydb failure, then a greylisting decides the answer.
     *
     * @param ptr       the client's name, empty for none (see {@link #clientName})
     * @param dnswlZone the DNS whitelist that lists the client, or null
     */
    private String decide(PolicyRequest request, String message, InetAddress client, String ptr,
                          List<String> recipients, boolean mayPrepend, String dnswlZone) {
        PostgreyWhitelists whitelists = this.whitelists.get(); // one version for the whole request
        // Postfix names the SASL user of a session that authenticated: not greylisted (SPEC §3), as the proxy skips a
        // session whose AUTH succeeded, wherever check_policy_service stands among the restrictions.
        boolean authenticated = !request.get("sasl_username").isEmpty();
        String clientListed = whitelists.matchClient(client, ptr);
        Outcome worst = null;
        String greylistedRecipient = null;
        long delayed = -1;
        for (String recipient : recipients) {
            String recipientListed = clientListed != null ? null : whitelists.matchRecipient(recipient);
            String skip = authenticated ? "authenticated"
                    : dnswlZone != null ? "dnswl:" + dnswlZone
                    : clientListed != null ? "whitelist-clients " + clientListed
                    : recipientListed != null ? "whitelist-recipients " + recipientListed : null;
            if (skip != null && skip.startsWith("whitelist-") && LOG.isDebugEnabled()) {
                // The decision line says WHITELISTED; which file and line said so is here.
                LOG.debug("client {} to <{}> on postgrey's {}", AddressText.of(client), ClientText.field(recipient), skip);
            }
            Outcome o = decisions.decide(new Query(client, ptr, request.get("helo_name"), request.get("sender"),
                    recipient, skip));
            if (o.kind() == Outcome.Kind.PASSED_AFTER_DELAY) {
                delayed = Math.max(delayed, o.seconds());
            } else if (o.kind() != Outcome.Kind.PASS && (worst == null || o.kind().compareTo(worst.kind()) > 0)) {
                worst = o;
                greylistedRecipient = recipient;
            }
        }
        if (worst != null) {
            switch (worst.kind()) {
                case REJECT:
                    return Answers.blacklisted();
                case TEMPFAIL:
                    return Answers.unavailable();
                default:
                    return answers.greylisted(worst.seconds(), greylistedRecipient);
            }
        }
        if (delayed >= 0 && mayPrepend) {
            String header = answers.delayedHeader(delayed);
            if (header != null && messages.claimHeader(message, request)) {
                return header;
            }
        }
        return Answers.DUNNO;
    }

    private static final CompletableFuture<Optional<String>> NOT_LISTED = CompletableFuture.completedFuture(Optional.empty());
    private static final CompletableFuture<String> NO_NAME = CompletableFuture.completedFuture("");

    private static final java.util.regex.Pattern IPV4 = java.util.regex.Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");

    /**
     * An IP literal, never a DNS lookup; null for anything else. Only a dotted quad or text with a colon
     * reaches {@link InetAddress#getByName}, which parses both without asking DNS (a name such as
     * {@code deadbeef} or {@code cafe.example} would be looked up).
     */
    static InetAddress address(String text) {
        boolean ipv6 = text.indexOf(':') >= 0
                && text.chars().allMatch(c -> Character.digit(c, 16) >= 0 || c == '.' || c == ':');
        if (!ipv6 && !IPV4.matcher(text).matches()) {
            return null;
        }
        try {
            return InetAddress.getByName(text);
        } catch (UnknownHostException e) {
            return null;
        }
    }
}
