package org.greylite.policy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.slf4j.LoggerFactory;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;

/** Starts the real service in the test's JVM, on a free loopback port and a unix socket in the test's folder. */
final class TestPolicy {

    private TestPolicy() {
    }

    /**
     * greylite-policy with a greydb in {@code dir} and a unix socket there (unless {@code extra} has a {@code --db=} or {@code --unix=}), empty postgrey whitelists (this host's /etc/postgrey must not
     * decide), without the shipped known senders, and {@code extra} flags.
     */
    static RunningPolicy start(Path dir, String... extra) throws Exception {
        return start(dir, Map.of(), extra);
    }

    /** {@link #start(Path, String...)} with an environment (PGPASSWORD for a PostgreSQL greydb, say). */
    static RunningPolicy start(Path dir, Map<String, String> env, String... extra) throws Exception {
        Path empty = dir.resolve("empty.whitelist");
        if (!Files.exists(empty)) {
            Files.writeString(empty, "# nothing\n");
        }
        List<String> args = new ArrayList<>(List.of("--inet=127.0.0.1:0",
                "--whitelist-clients=" + empty, "--whitelist-recipients=" + empty, "--no-shipped-whitelist"));
        if (java.util.Arrays.stream(extra).noneMatch(a -> a.startsWith("--db="))) {
            args.add("--db=" + dir.resolve("greylite.db"));
        }
        if (java.util.Arrays.stream(extra).noneMatch(a -> a.startsWith("--unix="))) {
            args.add("--unix=" + socket(dir));
        }
        args.addAll(List.of(extra));
        GreylitePolicy app = new GreylitePolicy(env);
        GreylitePolicy.commandLine(app).parseArgs(args.toArray(String[]::new));
        return app.open(LoggerFactory.getLogger(GreylitePolicy.class));
    }

    static Path socket(Path dir) {
        return dir.resolve("policy.sock");
    }

    /** The log lines of {@code loggerClass} from now on (warnings and above reach it under the test logback.xml). */
    static ListAppender<ILoggingEvent> capture(Class<?> loggerClass) {
        Logger logger = (Logger) LoggerFactory.getLogger(loggerClass);
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.start();
        logger.addAppender(appender);
        return appender;
    }

    static String lines(ListAppender<ILoggingEvent> appender) {
        StringBuilder b = new StringBuilder();
        for (ILoggingEvent e : new ArrayList<>(appender.list)) {
            b.append(e.getFormattedMessage()).append('\n');
        }
        return b.toString();
    }

    static void writeFile(Path file, String text) throws IOException {
        Files.writeString(file, text);
    }
}
