package org.greylite.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import org.greylite.testing.ExternalPrograms;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The files of {@code examples/}, read by the programs that will read them on an administrator's machine:
 * shellcheck for the run scripts, systemd-analyze for the units, postconf for the Postfix lines merged into a
 * real Postfix configuration, tcprules for the rules file, haproxy for its configuration. Each of these says a
 * misspelt directive or parameter in a warning and still exits 0, so the test wants their output empty too.
 */
@Timeout(120)
class ExamplesCheckedByTheirToolsTest {

    private static final Path EXAMPLES = Launchers.HOME.resolve("examples");

    @TempDir
    Path dir;

    @Test
    void everyRunScriptPassesShellcheck() throws Exception {
        Path shellcheck = ExternalPrograms.require("shellcheck");
        List<Path> scripts = files(f -> firstLine(f).matches("#!\\s*(/bin/sh|/bin/bash|/usr/bin/env (ba)?sh)\\b.*"));
        assertTrue(scripts.size() >= 8, "the run scripts of examples/: " + scripts);
        for (Path script : scripts) {
            Launchers.Ended r = run(List.of(shellcheck.toString(), "--norc", script.toString()), "shellcheck");
            assertEquals(0, r.status(), r.out());
            assertEquals("", r.out(), script.toString());
        }
    }

    @Test
    void everyUnitPassesSystemdAnalyzeVerify() throws Exception {
        Path analyze = ExternalPrograms.require("systemd-analyze");
        List<Path> units = files(f -> f.getFileName().toString().endsWith(".service"));
        assertEquals(2, units.size(), units.toString());
        for (Path unit : units) {
            String text = Files.readString(unit);
            // The units run /usr/bin/java, Debian's; on a machine whose JDK lives elsewhere the check would only
            // say that, so it is given the Java running this test instead.
            if (!Files.isExecutable(Path.of("/usr/bin/java"))) {
                text = text.replace("/usr/bin/java", Path.of(System.getProperty("java.home"), "bin", "java").toString());
            }
            Path copy = Files.writeString(dir.resolve(unit.getFileName()), text);
            Launchers.Ended r = run(List.of(analyze.toString(), "verify", "--man=no", copy.toString()), "systemd-analyze");
            assertEquals(0, r.status(), r.out());
            assertEquals("", r.out(), unit.toString());
        }
    }

    /**
     * master.cf.snippet in place of Debian's {@code smtp inet} line, main.cf.snippet appended to Debian's
     * main.cf: postconf parses both and warns about no parameter it does not know.
     */
    @Test
    void thePostfixLinesMergeIntoARealConfiguration() throws Exception {
        Path postconf = ExternalPrograms.require("postconf");
        Path masterDist = Path.of("/usr/share/postfix/master.cf.dist");
        Path mainDist = Path.of("/usr/share/postfix/main.cf.debian");
        assertTrue(Files.isReadable(masterDist) && Files.isReadable(mainDist), "Debian's postfix package ships "
                + masterDist + " and " + mainDist);
        List<String> master = new ArrayList<>();
        boolean replaced = false;
        for (String line : Files.readAllLines(masterDist)) {
            if (line.matches("smtp\\s+inet\\s.*")) {
                master.addAll(Files.readAllLines(EXAMPLES.resolve("postfix/master.cf.snippet")));
                replaced = true;
            } else {
                master.add(line);
            }
        }
        assertTrue(replaced, "the smtp inet line of " + masterDist);
        Files.write(dir.resolve("master.cf"), master);
        String main = Files.readString(mainDist) + "\n" + Files.readString(EXAMPLES.resolve("postfix-policy/main.cf.snippet"));
        Files.writeString(dir.resolve("main.cf"), main);

        Launchers.Ended n = run(List.of(postconf.toString(), "-c", dir.toString(), "-n"), "postconf");
        assertEquals(0, n.status(), n.out());
        assertFalse(n.out().contains("warning"), n.out());
        assertTrue(n.out().contains("check_policy_service inet:127.0.0.1:10023"), n.out());
        Launchers.Ended p = run(List.of(postconf.toString(), "-c", dir.toString(), "-P"), "postconf");
        assertEquals(0, p.status(), p.out());
        assertFalse(p.out().contains("warning"), p.out());
        assertTrue(p.out().contains("127.0.0.1:10025/inet/mynetworks ="), "the 10025 service trusts nobody: " + p.out());
    }

    @Test
    void theTcpserverRulesCompile() throws Exception {
        Path tcprules = ExternalPrograms.require("tcprules");
        ProcessBuilder pb = new ProcessBuilder(tcprules.toString(), dir.resolve("tcp.smtp.cdb").toString(),
                dir.resolve("tcp.smtp.tmp").toString()).redirectInput(EXAMPLES.resolve("tcpserver/tcp.smtp").toFile());
        Launchers.Ended r = Launchers.runToEnd(pb, dir, "tcprules", 30);
        assertEquals(0, r.status(), r.out());
        assertEquals("", r.out());
    }

    @Test
    void theHaproxyConfigurationIsValid() throws Exception {
        Path haproxy = ExternalPrograms.require("haproxy");
        Launchers.Ended r = run(List.of(haproxy.toString(), "-c", "-f", EXAMPLES.resolve("haproxy/haproxy.cfg").toString()),
                "haproxy");
        assertEquals(0, r.status(), r.out());
        assertFalse(r.out().contains("[WARNING]") || r.out().contains("[ALERT]"), r.out());
    }

    private Launchers.Ended run(List<String> command, String program) throws IOException, InterruptedException {
        return Launchers.runToEnd(new ProcessBuilder(command), dir, program, 60);
    }

    private interface FileTest {
        boolean test(Path file) throws IOException;
    }

    private static List<Path> files(FileTest wanted) throws IOException {
        List<Path> found = new ArrayList<>();
        try (Stream<Path> all = Files.walk(EXAMPLES)) {
            for (Path f : all.filter(Files::isRegularFile).sorted().toList()) {
                if (wanted.test(f)) {
                    found.add(f);
                }
            }
        }
        return found;
    }

    private static String firstLine(Path file) throws IOException {
        byte[] head = new byte[Math.min(200, (int) Files.size(file))];
        try (var in = Files.newInputStream(file)) {
            int n = in.readNBytes(head, 0, head.length);
            String text = new String(head, 0, n, StandardCharsets.ISO_8859_1);
            int end = text.indexOf('\n');
            return end < 0 ? text : text.substring(0, end);
        }
    }
}
