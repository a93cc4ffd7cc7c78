package org.greylite.greydaemon;

import java.net.InetAddress;
import java.time.Clock;
import java.util.Map;
import java.util.Set;

import org.greylite.greylist.DecisionListener;
import org.greylite.greylist.GreylistSettings;
import org.greylite.greylist.Greylister;
import org.greylite.greylist.RcptRequest;
import org.greylite.greylist.Verdict;
import org.greylite.net.AddressText;
import org.greylite.store.GreylistStore;
import org.greylite.store.StoreException;
import org.greylite.suspicion.ClientFacts;

/**
 * What the greydb and the administrators' lists say of a client alone, before any triplet: asked where greydaemon
 * answered without deciding a triplet (a VERP bounce, a request listing no recipient), so that the administrators'
 * blacklist still wins there and a known address is still told apart.
 *
 * <p>The administrators' lists are the engine's ({@link Greylister#screen}), so that this answer can never differ
 * from the one the engine gives a triplet of the same client. A screening decides nothing and writes nothing, so
 * it is kept out of the decision log: this class is the engine's listener and passes every other decision on.
 *
 * <p>Used by one thread, the greydb thread, as the engine is.
 */
final class ClientScreen implements DecisionListener {

    /** What is known of a client. */
    enum Standing { BLACKLISTED, KNOWN, OTHER }

    private final DecisionListener log;
    private final GreylistStore greydb;
    private final GreylistSettings settings;
    private final Clock clock;
    private Greylister engine;
    private boolean screening;

    /** @param log told of every decision but the screenings */
    ClientScreen(DecisionListener log, GreylistStore greydb, GreylistSettings settings, Clock clock) {
        this.log = log;
        this.greydb = greydb;
        this.settings = settings;
        this.clock = greydb.sharedClock(clock); // the greydb's, as the whitelist times it compares with
    }

    /** The engine to screen with, made with this as its listener. */
    void use(Greylister engine) {
        this.engine = engine;
    }

    /**
     * Whether the client is blacklisted, or known (whitelisted by an administrator, or on the auto-whitelist: it
     * passed within {@code -t}). A greydb that cannot be read says {@link Standing#OTHER}: the answers then are the
     * ones greydaemon gave a client it did not know, which let the mail in or leave it unanswered.
     */
    Standing of(InetAddress client) {
        Verdict v = screen(client);
        if (v != null && v.reason() == Verdict.Reason.BLACKLISTED) {
            return Standing.BLACKLISTED;
        }
        if (v != null && v.reason() == Verdict.Reason.WHITELISTED) {
            return Standing.KNOWN;
        }
        try {
            // Read only: renewing the entry (a renewal after its whole lifetime never comes) is left to mail.
            return greydb.whitelisted(EngineDecisions.clientKey(settings, client), clock.instant(),
                    settings.whitelistLifetime(), settings.whitelistLifetime()) ? Standing.KNOWN : Standing.OTHER;
        } catch (StoreException e) {
            return Standing.OTHER;
        }
    }

    private Verdict screen(InetAddress client) {
        // The empty sender and recipient: no exempt recipient (postmaster@) can answer in the lists' place.
        RcptRequest r = new RcptRequest(client, ClientFacts.withoutNames(AddressText.of(client), "", "", Map.of(),
                Set.of()), null);
        screening = true;
        try {
            return engine.screen(r);
        } finally {
            screening = false;
        }
    }

    @Override
    public void decided(RcptRequest request, Verdict verdict) {
        if (!screening) {
            log.decided(request, verdict);
        }
    }
}
