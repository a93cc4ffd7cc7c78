package org.greylite.ctl;

import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Clock;

import org.greylite.greylist.ClientKeys;
import org.greylite.greylist.GreylistSettings;
import org.greylite.greylist.Greylister;
import org.greylite.greylist.RcptRequest;
import org.greylite.greylist.Verdict;
import org.greylite.store.GreylistStore;
import org.greylite.suspicion.ClientFacts;
import org.greylite.suspicion.SuspicionPolicy;

/**
 * The greylisting engine writing a greydb as a program (greylited, say) would, for greylitectl to be run on it: no
 * suspicion file, its decisions reported nowhere; and one RCPT decided by it.
 */
final class Engines {

    private Engines() {
    }

    static Greylister on(GreylistStore store, GreylistSettings settings, Clock clock) {
        return new Greylister(store, SuspicionPolicy.NONE, settings, clock, (r, v) -> { });
    }

    /** An engine with the default settings, keying clients by {@code keys}. */
    static Greylister keyedBy(GreylistStore store, ClientKeys keys, Clock clock) {
        return on(store, GreylistSettings.defaults().withClientKeys(keys), clock);
    }

    /**
     * The engine's verdict on a RCPT from {@code ip}, {@code ptr} its PTR name ({@code ""} for none), after the HELO
     * {@code h}.
     */
    static Verdict decide(Greylister engine, String ip, String ptr, String from, String to) {
        try {
            return engine.decide(new RcptRequest(InetAddress.getByName(ip),
                    new ClientFacts(ip, ptr, "h", from, to, null, null), null));
        } catch (UnknownHostException e) {
            throw new UncheckedIOException(e); // an address literal: never looked up
        }
    }
}
