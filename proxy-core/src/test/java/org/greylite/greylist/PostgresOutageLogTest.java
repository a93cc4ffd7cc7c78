package org.greylite.greylist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.greylite.greylist.Verdict.Reason;
import org.greylite.store.GreydbOptions;
import org.greylite.store.GreylistStore;
import org.greylite.store.GreylistStores;
import org.greylite.suspicion.SuspicionPolicy;
import org.greylite.testing.PostgresServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.LoggerFactory;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;

/**
 * A PostgreSQL server that comes back ends the engine's outage when it answers, not at the engine's next decision:
 * on a quiet host the next decision can come minutes later, and a failure of its own (a lock's timeout, the server
 * lost again) was then logged as the old outage going on, or not at all, with the old outage's length and count.
 */
@Timeout(120)
class PostgresOutageLogTest {

    @RegisterExtension
    static final PostgresServer PG = new PostgresServer();

    private final Logger engineLog = (Logger) LoggerFactory.getLogger(Greylister.class);
    private final ListAppender<ILoggingEvent> lines = new ListAppender<>();

    @BeforeEach
    void capture() {
        lines.start();
        engineLog.addAppender(lines);
    }

    @AfterEach
    void release() {
        engineLog.detachAppender(lines);
    }

    private List<String> logged() {
        List<String> out = new ArrayList<>();
        synchronized (lines) {
            new ArrayList<>(lines.list).forEach(e -> out.add(e.getLevel() + " " + e.getFormattedMessage()));
        }
        return out;
    }

    private String awaitLine(String start, int from) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(40).toNanos();
        while (System.nanoTime() < deadline) {
            List<String> l = logged();
            for (String s : l.subList(Math.min(from, l.size()), l.size())) {
                if (s.startsWith(start)) {
                    return s;
                }
            }
            Thread.sleep(100);
        }
        throw new AssertionError("no line starting '" + start + "' after line " + from + ": " + logged());
    }

    @Test
    void theServerComingBackEndsTheOutageAndTheNextLossIsANewOne() throws Exception {
        String url = PG.url(PG.createDatabase());
        try (GreylistStore store = GreylistStores.open(url, new GreydbOptions(Duration.ofSeconds(2), 2, PG.env()))) {
            Greylister g = new Greylister(store, SuspicionPolicy.NONE, GreylistSettings.defaults(),
                    java.time.Clock.systemUTC(), DecisionListener.NONE);
            assertEquals(Reason.FIRST_ATTEMPT, g.decide(GreylisterTest.rcpt("192.0.2.1", "a@x", "b@y")).reason());

            for (int outage = 1; outage <= 2; outage++) {
                int before = logged().size();
                PG.stop();
                try {
                    assertEquals(Reason.STORE_ERROR, g.decide(GreylisterTest.rcpt("192.0.2.7", "a@x", "c@y")).reason());
                    awaitLine("ERROR greydb failure (", before);
                } finally {
                    PG.start();
                }
                // No decision from here on: the store's own probe finds the server.
                String end = awaitLine("WARN greydb answers again (", before);
                assertTrue(end.contains(": 1 RCPT(s) were decided as failures"), "outage " + outage + ": " + end);
            }
            List<String> all = logged();
            assertEquals(2, all.stream().filter(s -> s.startsWith("ERROR greydb failure (")).count(), all.toString());
            assertTrue(all.stream().noneMatch(s -> s.contains("still failing")), all.toString());
        }
    }
}
