package org.greylite.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * One {@link PostfixServer} for all the tests of a class, set up by {@code setUp} in a temporary folder of its own,
 * started before the first test and stopped (its folder removed) after the last:
 * {@code @RegisterExtension static final PostfixPerClass postfix = new PostfixPerClass(p -> p.listener("plain"));},
 * then {@code postfix.server().address("plain")}. Skipped or failed as {@link PostfixServer.Builder#start} says
 * without Postfix or root.
 */
public final class PostfixPerClass implements BeforeAllCallback, AfterAllCallback {

    private final UnaryOperator<PostfixServer.Builder> setUp;
    private Path dir;
    private PostfixServer server;

    public PostfixPerClass(UnaryOperator<PostfixServer.Builder> setUp) {
        this.setUp = setUp;
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        dir = Files.createTempDirectory("postfix-");
        server = setUp.apply(PostfixServer.in(dir)).start();
    }

    @Override
    public void afterAll(ExtensionContext context) throws IOException {
        if (server != null) {
            server.close();
            server = null;
        }
        if (dir != null) {
            // deepest first: each folder is empty by the time it is removed
            try (Stream<Path> files = Files.walk(dir)) {
                for (Path f : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(f);
                }
            }
            dir = null;
        }
    }

    /** The running Postfix. */
    public PostfixServer server() {
        if (server == null) {
            throw new IllegalStateException("Postfix runs from before the class's first test to after its last");
        }
        return server;
    }
}
