package org.greylite.greydaemon;

import java.io.IOException;
import java.util.List;
import java.util.Map;

import org.greylite.testing.JavaProgram;

/** greydaemon as a real process ({@link JavaProgram}), without the shipped known senders. */
final class GreydaemonProcess {

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
}
