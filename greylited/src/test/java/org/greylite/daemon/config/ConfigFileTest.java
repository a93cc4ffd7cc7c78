package org.greylite.daemon.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The configuration file's syntax, and errors that name the file and line. */
class ConfigFileTest {

    @TempDir
    Path dir;

    private static List<ConfigFile.Entry> parse(String... lines) {
        return ConfigFile.parse("test.conf", List.of(lines)).entries();
    }

    private static String error(String... lines) {
        return assertThrows(ConfigException.class, () -> ConfigFile.parse("test.conf", List.of(lines))).getMessage();
    }

    @Test
    void namesValuesCommentsAndBlankLines() {
        List<ConfigFile.Entry> e = parse(
                "# greylited.conf",
                "",
                "listen = [::1]:25",
                "  upstream=127.0.0.1:10025   # the MTA",
                "--min-delay = 5m",
                "hostname = mx#1.example.org",
                "dns = 192.0.2.1 192.0.2.2");
        assertEquals(List.of(
                new ConfigFile.Entry("listen", "[::1]:25", 3),
                new ConfigFile.Entry("upstream", "127.0.0.1:10025", 4),
                new ConfigFile.Entry("min-delay", "5m", 5),
                new ConfigFile.Entry("hostname", "mx#1.example.org", 6),
                new ConfigFile.Entry("dns", "192.0.2.1 192.0.2.2", 7)), e);
    }

    @Test
    void quotedValuesAreTakenAsWritten() {
        List<ConfigFile.Entry> e = parse(
                "greylist-reply = \"451 4.7.1 <{rcpt}>: greylisted #1 \\\"soon\\\" \"  # comment",
                "demo-mail = \"C:\\\\mail\"");
        assertEquals("451 4.7.1 <{rcpt}>: greylisted #1 \"soon\" ", e.get(0).value());
        assertEquals("C:\\mail", e.get(1).value());
    }

    @Test
    void quoteRoundTrips() {
        for (String v : List.of("plain", "with #hash", "with \"quotes\"", " padded ", "back\\slash", "\"lead")) {
            assertEquals(v, parse("x = " + ConfigFile.quote(v)).get(0).value(), v);
        }
        assertEquals("plain", ConfigFile.quote("plain"));
    }

    @Test
    void malformedLinesNameFileAndLine() {
        assertEquals("test.conf:2: expected 'name = value', got 'listen 0.0.0.0:25'", error("# ok", "listen 0.0.0.0:25"));
        assertEquals("test.conf:1: no value for 'listen' (remove the line to use the default)", error("listen =  # later"));
        assertEquals("test.conf:1: no closing '\"'", error("greylist-reply = \"451 oops"));
        assertEquals("test.conf:1: unexpected text after the closing '\"': 'x'", error("hostname = \"a\" x"));
        assertEquals("test.conf:1: 'Listen Address' is not a setting name (write a flag's long name without --, "
                + "e.g. 'listen = 0.0.0.0:25')", error("Listen Address = x"));
    }

    @Test
    void anUnreadableFileIsNamed() throws Exception {
        Path missing = dir.resolve("missing.conf");
        assertEquals(missing + ": cannot read the configuration file: no such file",
                assertThrows(ConfigException.class, () -> ConfigFile.read(missing)).getMessage());
        Path f = Files.writeString(dir.resolve("g.conf"), "\uFEFFlisten = 127.0.0.1:25\n");
        assertEquals(List.of(new ConfigFile.Entry("listen", "127.0.0.1:25", 1)), ConfigFile.read(f).entries());
        assertEquals(f + ":1", ConfigFile.read(f).where(ConfigFile.read(f).entries().get(0)));
    }
}
