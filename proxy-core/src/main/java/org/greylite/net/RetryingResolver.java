package org.greylite.net;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

import org.xbill.DNS.EDNSOption;
import org.xbill.DNS.Message;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Resolver;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.TSIG;

/**
 * Sends a query again, to the next server, when no answer has come after a short delay, without giving up
 * on the copies already sent: the first answer to any copy wins. With the default 250 ms, copies go out at 0,
 * 250, 500, 750, then 1500, 3000 ms... until the timeout (see {@link #schedule}), so one lost UDP packet costs a quarter of
 * a second instead of the whole timeout. A server that answers SERVFAIL or REFUSED has not answered: the next copy
 * asks the next server (see {@link Copies}).
 *
 * <p>Why not dnsjava's {@code ExtendedResolver}: it retries only once a try has timed out, and a try must be
 * long enough for a slow recursive answer; a lookup that lost its first packet therefore waited a second or
 * more, and every session of that client waited with it. Here a copy is not abandoned when the next is sent:
 * an answer that was merely slow still counts. A resolver that is slow rather than lossy gets a few
 * duplicate queries, which a caching resolver answers from the one recursion already under way.
 *
 * <p>A copy waits for its answer until the copy after next is sent (the last one until the timeout), so at
 * most two sockets are open per query even when the resolver is gone. The resends are timed by {@link
 * CoarseTimer#DNS}, so one may go out up to 20 ms after its time, and an answer cancels those still to come.
 */
final class RetryingResolver implements Resolver {

    /** The first resend, when the timeout leaves room for it. */
    static final Duration FIRST_RETRY = Duration.ofMillis(250);
    private static final Duration SHORTEST_RETRY = Duration.ofMillis(50);

    private volatile List<InetSocketAddress> servers;
    private final AtomicInteger nextServer = new AtomicInteger();
    private volatile Duration timeout;
    private final Duration firstRetry;
    private volatile boolean tcp;
    private volatile boolean ignoreTruncation;
    private volatile Edns edns; // null: SimpleResolver's own default
    private volatile TSIG tsig;  // null: queries are not signed

    /** The EDNS parameters asked for, given to every copy's resolver. */
    private record Edns(int version, int payloadSize, int flags, List<EDNSOption> options) {
    }

    /**
     * @param servers    tried in turn, one copy each, starting with a different one for each query
     * @param timeout    how long one query may take in all
     * @param firstRetry the delay before the second copy; each later delay is twice the one before
     */
    RetryingResolver(List<InetSocketAddress> servers, Duration timeout, Duration firstRetry) {
        if (servers.isEmpty()) {
            throw new IllegalArgumentException("no DNS server");
        }
        this.servers = List.copyOf(servers);
        this.timeout = timeout;
        this.firstRetry = firstRetry.compareTo(SHORTEST_RETRY) < 0 ? SHORTEST_RETRY : firstRetry;
    }

    /** The first resend for lookups of {@code rounds} queries in a row bounded by {@code timeout} together. */
    static Duration firstRetry(Duration timeout, int rounds) {
        // Leave each round room for at least two resends before the timeout: 0, d, 3d fit in 4d.
        Duration quarter = Duration.ofMillis(timeout.toMillis() / (4L * Math.max(1, rounds)));
        return quarter.compareTo(FIRST_RETRY) < 0 ? quarter : FIRST_RETRY;
    }

    Duration firstRetry() {
        return firstRetry;
    }

    /**
     * When each copy is sent, in milliseconds after the first: 0, d, 2d, 3d, then doubling (6d, 12d...) below the
     * timeout. Four copies within 3d: with 2% of packets lost, a lookup still unanswered at 4d is one in six million
     * rather than one in 125,000 (0, d, 3d, 7d...: three copies by 3d), so with d = 250 ms no session waits a second
     * for a lost query. A resolver that is merely slow gets one duplicate more, answered from its one recursion.
     */
    List<Long> schedule() {
        List<Long> at = new ArrayList<>();
        long total = timeout.toMillis();
        long delay = firstRetry.toMillis();
        for (long t = 0; t < total; t = at.size() < 4 ? t + delay : t * 2) {
            at.add(t);
        }
        if (at.isEmpty()) {
            at.add(0L);
        }
        return at;
    }

    @Override
    public CompletionStage<Message> sendAsync(Message query) {
        return sendAsync(query, Runnable::run);
    }

    @Override
    public CompletionStage<Message> sendAsync(Message query, Executor executor) {
        CompletableFuture<Message> answer = new CompletableFuture<>();
        List<Long> at = schedule();
        long total = timeout.toMillis();
        List<InetSocketAddress> to = servers; // one list for all the copies, whatever setPort does meanwhile
        int first = Math.floorMod(nextServer.getAndIncrement(), to.size());
        Copies copies = new Copies(answer, at.size(), new HashSet<>(to).size());
        List<CoarseTimer.Task> resends = new ArrayList<>(at.size() - 1);
        for (int i = 0; i < at.size(); i++) {
            long start = at.get(i);
            long end = i + 2 < at.size() ? at.get(i + 2) : total;
            InetSocketAddress server = to.get((first + i) % to.size());
            Runnable send = () -> copies.send(query, server, Duration.ofMillis(Math.max(1, end - start)));
            if (start == 0) {
                send.run();
            } else {
                resends.add(CoarseTimer.DNS.schedule(send, Duration.ofMillis(start)));
            }
        }
        // Answered (or failed): the resends still to come are dropped, never run only to find the answer there.
        answer.whenComplete((m, failure) -> resends.forEach(CoarseTimer.Task::cancel));
        return answer.thenApplyAsync(m -> m, executor);
    }

    /** The answer of a server that could not answer: djbdns' test, every code but NOERROR and NXDOMAIN. */
    static boolean serverFailed(Message message) {
        int rcode = message.getRcode();
        return rcode != Rcode.NOERROR && rcode != Rcode.NXDOMAIN;
    }

    /**
     * The copies of one query: the first answer completes it, the last failure fails it. A server's failure answer
     * (SERVFAIL, REFUSED, any code but NOERROR and NXDOMAIN) is a failure of that copy, not the answer: the next copy
     * goes to the next server, as djbdns and the C library ask the next resolver. Taken as the answer, the REFUSED of
     * a resolver that no longer recurses for this host hid what the next one in {@code DNSCACHEIP} would have said
     * (dnsblenv missed listings, greylited's PTR names went unconfirmed). Once every server has said so, its answer
     * is given at once; when the copies run out, the last such answer rather than a timeout.
     */
    private final class Copies {
        private final CompletableFuture<Message> answer;
        private final AtomicInteger outstanding;
        private final int servers;
        private final Set<InetSocketAddress> failedBy = ConcurrentHashMap.newKeySet();
        private volatile Message lastFailure;

        Copies(CompletableFuture<Message> answer, int count, int servers) {
            this.answer = answer;
            this.outstanding = new AtomicInteger(count);
            this.servers = servers;
        }

        void send(Message query, InetSocketAddress server, Duration wait) {
            if (answer.isDone()) {
                return; // answered already: the later copies are not sent
            }
            SimpleResolver simple = new SimpleResolver(server);
            simple.setTimeout(wait);
            simple.setTCP(tcp);
            simple.setIgnoreTruncation(ignoreTruncation);
            Edns asked = edns;
            if (asked != null) {
                simple.setEDNS(asked.version(), asked.payloadSize(), asked.flags(), asked.options());
            }
            simple.setTSIGKey(tsig);
            CompletableFuture<Message> sent;
            try {
                // Completed on dnsjava's own I/O thread. Without an executor, dnsjava goes through the JDK's
                // default async pool, which on a machine of two cores or fewer is a new thread per task: a thread
                // started and ended for every DNS answer, most of the CPU a new client's PTR lookup cost.
                sent = simple.sendAsync(query, Runnable::run).toCompletableFuture();
            } catch (RuntimeException e) {
                sent = CompletableFuture.failedFuture(e);
            }
            sent.whenComplete((message, failure) -> {
                if (message != null && !serverFailed(message)) {
                    answer.complete(message);
                    return;
                }
                if (message != null) {
                    lastFailure = message;
                    failedBy.add(server);
                    if (failedBy.size() >= servers) {
                        answer.complete(message); // every server said it: no copy left to wait for will say better
                        return;
                    }
                }
                if (outstanding.decrementAndGet() == 0) {
                    Message failed = lastFailure;
                    if (failed != null) {
                        answer.complete(failed);
                    } else {
                        answer.completeExceptionally(failure != null ? failure
                                : new TimeoutException("no answer within " + timeout.toMillis() + " ms"));
                    }
                }
            });
        }
    }

    @Override
    public void setTimeout(Duration timeout) {
        this.timeout = timeout;
    }

    @Override
    public Duration getTimeout() {
        return timeout;
    }

    @Override
    public void setTCP(boolean flag) {
        this.tcp = flag;
    }

    @Override
    public void setIgnoreTruncation(boolean flag) {
        this.ignoreTruncation = flag;
    }

    /** Every server is asked on {@code port} from now on (a port given with an address is replaced). */
    @Override
    public void setPort(int port) {
        servers = servers.stream().map(a -> new InetSocketAddress(a.getAddress(), port)).toList();
    }

    @Override
    public void setEDNS(int version, int payloadSize, int flags, List<EDNSOption> options) {
        this.edns = new Edns(version, payloadSize, flags, options == null ? List.of() : List.copyOf(options));
    }

    @Override
    public void setTSIGKey(TSIG key) {
        this.tsig = key;
    }

    @Override
    public String toString() {
        return "servers " + servers + ", resent after " + firstRetry.toMillis() + " ms and doubling, within "
                + timeout.toMillis() + " ms";
    }
}
