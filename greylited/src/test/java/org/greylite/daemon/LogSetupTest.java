package org.greylite.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;

import javax.xml.parsers.DocumentBuilderFactory;

import org.greylite.testing.MiniJson;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LoggingEvent;

/** The JSON log format: what one line looks like, and that it filters as the text format does. */
class LogSetupTest {

    @Test
    void eachEventIsOneJsonObjectWithTheTextAndThePid() {
        LoggerContext context = new LoggerContext();
        JsonLogEncoder encoder = new JsonLogEncoder();
        encoder.setContext(context);
        encoder.setWithSequenceNumber(false);
        encoder.setWithContext(false);
        encoder.setWithMDC(false);
        encoder.setWithMessage(false);
        encoder.setWithArguments(false);
        encoder.setWithFormattedMessage(true);
        encoder.setWithPid(true);
        encoder.start();
        LoggingEvent e = new LoggingEvent("x", context.getLogger("greylite.decision"), Level.INFO,
                "decision verdict=greylist from=<{}> to=<\"quoted\"\\>", null, new Object[] {"a@example.org"});
        String line = new String(encoder.encode(e), StandardCharsets.UTF_8);
        assertTrue(line.endsWith("\n") && line.indexOf('\n') == line.length() - 1, "one line: " + line);
        Map<String, Object> json = MiniJson.object(line.strip());
        assertEquals(ProcessHandle.current().pid(), ((Number) json.get("pid")).longValue());
        assertEquals("INFO", json.get("level"));
        assertEquals("greylite.decision", json.get("loggerName"));
        assertEquals("decision verdict=greylist from=<a@example.org> to=<\"quoted\"\\>", json.get("formattedMessage"));

        encoder.setWithPid(false);
        assertTrue(!MiniJson.object(new String(encoder.encode(e), StandardCharsets.UTF_8).strip()).containsKey("pid"));
    }

    @Test
    void greylitedsConfigurationsHaveTheSharedLoggerLevels() throws Exception {
        assertEquals(loggerLevels("logback.xml"), loggerLevels(LogSetup.JSON_CONFIG),
                "keep the <logger> lines of " + LogSetup.JSON_CONFIG + " and proxy-core's logback.xml the same");
        assertEquals(loggerLevels("logback.xml"), loggerLevels(LogSetup.TEXT_CONFIG),
                "keep the <logger> lines of " + LogSetup.TEXT_CONFIG + " and proxy-core's logback.xml the same");
    }

    @Test
    void badSettingsAreNamed() {
        assertEquals("--log-threshold must be 0 (emergencies only) to 7 (debug), not 9",
                assertThrows(IllegalArgumentException.class, () -> LogSetup.configure(9, false, "text")).getMessage());
        assertEquals("--log-format must be text or json, not 'xml'",
                assertThrows(IllegalArgumentException.class, () -> LogSetup.configure(6, false, "xml")).getMessage());
    }

    private static Map<String, String> loggerLevels(String resource) throws Exception {
        Map<String, String> levels = new TreeMap<>();
        try (InputStream in = LogSetupTest.class.getClassLoader().getResourceAsStream(resource)) {
            assertTrue(in != null, resource + " not on the class path");
            NodeList loggers = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(in)
                    .getElementsByTagName("logger");
            for (int i = 0; i < loggers.getLength(); i++) {
                Element l = (Element) loggers.item(i);
                levels.put(l.getAttribute("name"), l.getAttribute("level"));
            }
        }
        return levels;
    }
}
