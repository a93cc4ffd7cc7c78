package org.greylite.wrapper;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;

import org.greylite.text.ClientText;
import org.slf4j.ILoggerFactory;
import org.slf4j.IMarkerFactory;
import org.slf4j.Marker;
import org.slf4j.event.Level;
import org.slf4j.helpers.BasicMarkerFactory;
import org.slf4j.helpers.LegacyAbstractLogger;
import org.slf4j.helpers.MessageFormatter;
import org.slf4j.helpers.NOPMDCAdapter;
import org.slf4j.spi.MDCAdapter;
import org.slf4j.spi.SLF4JServiceProvider;

/**
 * The wrapper's logging: an SLF4J provider that writes the lines greylited's {@code logback.xml} writes
 * ({@code [pid ]2026-01-02T03:04:05.678Z LEVEL message}), to stderr, one write per line, at the level
 * {@link org.greylite.config.Logging} derives from LOGTHRESHOLD.
 *
 * <p>Why not logback itself: one process per connection pays logback's start-up every time, and measured
 * with the class-data-sharing archive that is about 95 ms with {@code logback.xml} (50 ms configured in
 * code) against about 10 ms for this class, on the path of every greeting. {@link Greylite} selects it
 * through the {@code slf4j.provider} property unless the administrator set that property (in JAVA_OPTS),
 * e.g. {@code -Dslf4j.provider=ch.qos.logback.classic.spi.LogbackServiceProvider} to use logback and its
 * configuration instead.
 */
public final class StderrLogging implements SLF4JServiceProvider {

    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSXXX");

    private ILoggerFactory factory;
    private final IMarkerFactory markers = new BasicMarkerFactory();
    private final MDCAdapter mdc = new NOPMDCAdapter();

    @Override
    public ILoggerFactory getLoggerFactory() {
        return factory;
    }

    @Override
    public IMarkerFactory getMarkerFactory() {
        return markers;
    }

    @Override
    public MDCAdapter getMDCAdapter() {
        return mdc;
    }

    @Override
    public String getRequestedApiVersion() {
        return "2.0.99";
    }

    @Override
    public void initialize() {
        Level threshold = threshold(System.getProperty("greylite.log.level", "ERROR"));
        String prefix = System.getProperty("greylite.log.prefix", "");
        // sqlite-jdbc's loader reports its housekeeping of other JVMs' leftovers in /tmp as errors (and
        // races other greylite processes doing the same); greylite reports greydb problems itself.
        int minimum = threshold.toInt();
        int quiet = minimum <= Level.DEBUG.toInt() ? minimum : Integer.MAX_VALUE;
        factory = name -> new StderrLogger(name, name.startsWith("org.sqlite.") ? quiet : minimum, prefix);
    }

    static Level threshold(String level) {
        try {
            return Level.valueOf(level.trim().toUpperCase(java.util.Locale.ROOT));
        } catch (IllegalArgumentException e) {
            return Level.ERROR;
        }
    }

    /** One logger per name; all share the threshold and stderr. */
    static final class StderrLogger extends LegacyAbstractLogger {

        private static final long serialVersionUID = 1L;

        /** The least important level written ({@link Level#toInt()}); {@code Integer.MAX_VALUE}: none. */
        private final transient int minimum;
        private final transient String prefix;

        StderrLogger(String name, int minimum, String prefix) {
            this.name = name;
            this.minimum = minimum;
            this.prefix = prefix;
        }

        private boolean enabled(Level level) {
            return level.toInt() >= minimum;
        }

        @Override
        public boolean isTraceEnabled() {
            return enabled(Level.TRACE);
        }

        @Override
        public boolean isDebugEnabled() {
            return enabled(Level.DEBUG);
        }

        @Override
        public boolean isInfoEnabled() {
            return enabled(Level.INFO);
        }

        @Override
        public boolean isWarnEnabled() {
            return enabled(Level.WARN);
        }

        @Override
        public boolean isErrorEnabled() {
            return enabled(Level.ERROR);
        }

        @Override
        protected String getFullyQualifiedCallerName() {
            return null;
        }

        @Override
        protected void handleNormalizedLoggingCall(Level level, Marker marker, String message, Object[] args,
                                                   Throwable t) {
            StringBuilder line = new StringBuilder(128).append(prefix)
                    .append(TIME.format(ZonedDateTime.now())).append(' ');
            String label = level.toString();
            line.append(label);
            for (int i = label.length(); i < 5; i++) {
                line.append(' ');
            }
            // Printable, as greylited's writer makes it (PrintableMessageConverter): one line, whatever it quotes.
            String text = MessageFormatter.basicArrayFormat(message, args);
            line.append(' ').append(text == null ? null : ClientText.printable(text)).append('\n');
            if (t != null) {
                StringWriter trace = new StringWriter();
                t.printStackTrace(new PrintWriter(trace));
                line.append(trace);
            }
            byte[] bytes = line.toString().getBytes(StandardCharsets.UTF_8);
            PrintStream err = System.err;
            synchronized (err) {
                err.write(bytes, 0, bytes.length); // one write: lines of concurrent processes never mix
                err.flush();
            }
        }
    }
}
