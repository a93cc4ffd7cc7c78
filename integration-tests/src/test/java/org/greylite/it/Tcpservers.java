package org.greylite.it;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The tcpservers a test starts, each stopped after the test with whatever it started that still runs, whether the
 * test passed or failed half-way: register it as a field ({@code @RegisterExtension}) and start them through it.
 */
final class Tcpservers implements AfterEachCallback {

    private final List<Tcpserver> started = new ArrayList<>();

    /** {@link Tcpserver#start}, stopped after the test. */
    Tcpserver start(List<String> program, Map<String, String> env, String... options) throws Exception {
        Tcpserver t = Tcpserver.start(program, env, options);
        started.add(t);
        return t;
    }

    @Override
    public void afterEach(ExtensionContext context) throws InterruptedException {
        for (Tcpserver t : started) {
            t.close();
        }
        started.clear();
    }
}
