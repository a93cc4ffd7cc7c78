package org.greylite.connect;

import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

import org.greylite.greylist.RcptRequest;
import org.greylite.greylist.Verdict;
import org.greylite.relay.RcptPolicy;

/**
 * One session's RCPT policy: a client a DNS whitelist lists skips greylisting ("dnswl:ZONE" in the log).
 * Like {@link PtrAwarePolicy}, it waits for a lookup still in flight without blocking a thread.
 */
public final class DnswlAwarePolicy implements RcptPolicy {

    private final CompletableFuture<Optional<String>> listing;
    private final RcptPolicy next;

    public DnswlAwarePolicy(CompletableFuture<Optional<String>> listing, RcptPolicy next) {
        this.listing = Objects.requireNonNull(listing, "listing");
        this.next = Objects.requireNonNull(next, "next");
    }

    @Override
    public void decide(RcptRequest request, Consumer<Verdict> done) {
        if (request.skip() != null) {
            next.decide(request, done);
        } else {
            listing.whenComplete((zone, failure) -> next.decide(
                    zone != null && zone.isPresent() ? request.withSkip("dnswl:" + zone.get()) : request, done));
        }
    }
}
