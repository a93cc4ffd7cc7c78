package org.greylite.greydaemon;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.greylite.testing.JavaProgram;

/** greydaemon as a real process ({@link JavaProgram}), without the shipped known senders. */
final class GreydaemonProcess {

    private static final Pattern STARTED_ON_LOOPBACK = Pattern.compile("started greydaemon on 127\\.0\\.0\\.1:(\\d+)");

    private GreydaemonProcess() {
    }

    static JavaProgram start(String... args) throws IOException {
        return start(Map.of(), args);
    }

    /** {@link #start(String...)} with {@code env} added to the environment. */
    static JavaProgram start(Map<String, String> env, String... args) throws IOException {
        return JavaProgram.start(GreyDaemon.class, List.of(args), e -> {
            e.put("GREYLITE_NO_SHIPPED_WHITELIST", "1");
            e.putAll(env);
        });
    }

    /** Waits a minute at most for the start-up line of a greydaemon told {@code 127.0.0.1:0}: the port it serves. */
    static InetSocketAddress awaitStartedOnLoopback(JavaProgram d) throws InterruptedException {
        return awaitStartedOnLoopback(d, Duration.ofSeconds(60));
    }

    /** {@link #awaitStartedOnLoopback(JavaProgram)}, waiting at most {@code wait}. */
    static InetSocketAddress awaitStartedOnLoopback(JavaProgram d, Duration wait) throws InterruptedException {
        String line = d.awaitLine("started greydaemon on", wait);
        Matcher m = STARTED_ON_LOOPBACK.matcher(line);
        assertTrue(m.find(), line);
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), Integer.parseInt(m.group(1)));
    }
}
