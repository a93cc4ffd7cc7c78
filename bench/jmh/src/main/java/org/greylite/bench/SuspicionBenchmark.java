package org.greylite.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import org.greylite.suspicion.Behaviour;
import org.greylite.suspicion.ClientFacts;
import org.greylite.suspicion.Suspicion;
import org.greylite.suspicion.SuspicionFile;
import org.greylite.suspicion.geoip.CountryLocator;
import org.greylite.suspicion.geoip.GeoIpDatabases;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One suspicion evaluation (what greylited does per RCPT) against a 200-line file shaped like a real one:
 * PTR patterns for dynamic pools first, then trusted senders, envelope patterns, variables, countries and
 * behaviours. Most clients that reach the rules are mail servers that match no line, so every line is
 * tried; the {@code noMatch} benchmark is the typical case, {@code lateMatch} (a client caught by a
 * country line, 181st of 200) the other common one.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class SuspicionBenchmark {

    private static final String[] WORDS = {"dsl", "dyn", "pool", "ppp", "dhcp", "cable", "dial", "cust", "client",
        "broadband", "static", "ip", "host", "user", "adsl", "vdsl", "fiber", "ftth", "wireless", "mobile"};

    /** The GeoIP database for the g lines (Debian's legacy file); missing, a small in-memory table stands in. */
    @Param({"/usr/share/GeoIP/GeoIP.dat"})
    public String geoip;

    private SuspicionFile rules;
    private ClientFacts noMatch;
    private ClientFacts lateMatch;
    private ClientFacts earlyMatch;
    private ClientFacts[] mix;
    private int next;

    /** The 200 lines. */
    static List<String> twoHundredLines() {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            lines.add("5 r \\." + WORDS[i % WORDS.length] + i + "\\.");
        }
        for (int i = 0; i < 30; i++) {
            lines.add("5 r (^|[.-])" + WORDS[i % WORDS.length] + "[0-9]*[.-]");
        }
        for (int i = 0; i < 30; i++) {
            lines.add("3 r [0-9]{1,3}[.-][0-9]{1,3}[.-][0-9]{1,3}[.-]" + WORDS[i % WORDS.length]);
        }
        for (int i = 0; i < 30; i++) {
            lines.add("0 r \\.trusted" + i + "\\.example$");
        }
        for (int i = 0; i < 20; i++) {
            lines.add("2 e s:@spam" + i + "\\.example$ r:^abuse" + i + "@ h:^localhost" + i + "$");
        }
        for (int i = 0; i < 10; i++) {
            lines.add("4 v VAR" + i + " OTHER" + i);
        }
        for (int i = 0; i < 10; i++) {
            lines.add("4 g CN RU KP");
        }
        for (int i = 0; i < 10; i++) {
            lines.add("100 b greetdelay");
        }
        return lines;
    }

    private static ClientFacts client(String address, String ptr, String helo, String sender, Behaviour... shown) {
        EnumSet<Behaviour> behaviours = EnumSet.noneOf(Behaviour.class);
        behaviours.addAll(List.of(shown));
        return new ClientFacts(address, ptr, helo, sender, "alice@example.org", Map.of("TCPREMOTEIP", address), behaviours);
    }

    @Setup
    public void setUp() throws IOException {
        CountryLocator geo = GeoIpDatabases.openIfPresent(Path.of(geoip));
        if (geo == CountryLocator.NONE) {
            System.err.println(geoip + " is missing: an in-memory table places the clients instead");
            geo = new CountryLocator() {
                @Override
                public Optional<String> countryOf(String address) {
                    return Optional.ofNullable(Map.of("1.2.4.1", "CN", "151.1.1.1", "IT", "192.0.2.7", "US").get(address));
                }

                @Override
                public String description() {
                    return "table";
                }
            };
        }
        rules = SuspicionFile.parse("bench", twoHundredLines(), geo);
        if (!rules.problems().isEmpty() || rules.ruleCount() != 200) {
            throw new IllegalStateException("the benchmark file does not load: " + rules.problems());
        }
        noMatch = client("151.1.1.1", "mx1.mailhost.example.net", "mx1.mailhost.example.net", "news@mailhost.example.net");
        lateMatch = client("1.2.4.1", "", "win-7fd3a", "info@shop.example.com");
        earlyMatch = client("192.0.2.7", "dsl-192-0-2-7.pool.example.net", "pc7", "x@example.com");
        mix = new ClientFacts[] {
            noMatch,
            client("151.1.1.2", "mail.example.org", "mail.example.org", "bounce+123@example.org"),
            lateMatch,
            client("192.0.2.8", "smtp.trusted3.example", "smtp.trusted3.example", "ci@trusted3.example"),
            earlyMatch,
            client("151.1.1.3", "out-12.mta.example.com", "out-12.mta.example.com", "",
                    Behaviour.GREETDELAY),
            client("151.1.1.4", "relay.example.net", "relay.example.net", "a@example.net"),
        };
        check(noMatch, 0);
        check(lateMatch, 181);
        check(earlyMatch, 61);
    }

    private void check(ClientFacts facts, int line) {
        Suspicion s = rules.evaluate(facts);
        int got = s.rule() == null ? 0 : s.rule().line();
        if (got != line) {
            throw new IllegalStateException("expected line " + line + ", got " + got + " for " + facts);
        }
    }

    /** A mail server that matches none of the 200 lines: every line is tried. The typical client. */
    @Benchmark
    public Suspicion noMatch() {
        return rules.evaluate(noMatch);
    }

    /** A client without a PTR name, caught by the first country line (line 181): 180 lines tried first. */
    @Benchmark
    public Suspicion lateMatch() {
        return rules.evaluate(lateMatch);
    }

    /** A dynamic-pool client caught by a PTR pattern at line 61. */
    @Benchmark
    public Suspicion earlyMatch() {
        return rules.evaluate(earlyMatch);
    }

    /** Seven clients in turn, most of them matching no line or a late one. */
    @Benchmark
    public Suspicion mixed() {
        ClientFacts facts = mix[next];
        next = next + 1 == mix.length ? 0 : next + 1;
        return rules.evaluate(facts);
    }
}
