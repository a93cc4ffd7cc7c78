package org.greylite.connect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import org.greylite.testing.ExternalPrograms;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * One access file, two readers: the real tcprules and tcpserver, and greylited's {@link AccessRules}. An
 * administrator points greylited's {@code access} setting at the {@code /etc/tcp.smtp} tcpserver already uses;
 * each client must then be allowed or denied, and given the variables, that tcpserver gives it. The clients are
 * loopback addresses other than 127.0.0.1, which a socket may take as its source, so tcpserver sees each one.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AccessFileAsTcpserverReadsItTest {

    /** The variables the file below sets; what tcpserver's child prints of them. */
    private static final List<String> NAMES = List.of("SUSPECT", "RELAYCLIENT", "GREYLIST");

    @TempDir
    Path dir;

    private Process tcpserver;

    @AfterEach
    void stop() throws InterruptedException {
        if (tcpserver != null) {
            tcpserver.destroy();
            tcpserver.waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void everyClientGetsWhatTcpserverGivesIt() throws Exception {
        Path rules = Files.writeString(dir.resolve("tcp.smtp"), String.join("\n",
                "# a variable named twice in a rule: tcpserver's environment keeps the last value",
                "127.0.0.5:allow,GREYLIST=\"\",SUSPECT=\"1\",SUSPECT=\"5\"",
                "127.0.0.6:allow,RELAYCLIENT=\"\"",
                "127.0.0.7:deny",
                "127.0.0.8-9:allow,GREYLIST=\"\",SUSPECT=/3/",
                "# a variable without a name: tcprules takes the line, and tcpserver denies or allows as it says",
                "127.0.0.11:deny,=\"x\"",
                "127.0.0.12:allow,=\"x\",RELAYCLIENT=\"\"",
                "127.0.0.:allow,GREYLIST=\"\"",
                "127.0.0.5:allow,SUSPECT=\"9\"",
                "") + "\n");
        Path cdb = dir.resolve("tcp.smtp.cdb");
        Process compile = new ProcessBuilder(ExternalPrograms.require("tcprules").toString(), cdb.toString(),
                dir.resolve("tcp.smtp.tmp").toString()).redirectInput(rules.toFile()).redirectErrorStream(true).start();
        String said = new String(compile.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, compile.waitFor(), "tcprules: " + said);
        int port = startTcpserver(cdb);

        AccessRules greylited = AccessRules.load(rules);
        for (String client : List.of("127.0.0.5", "127.0.0.6", "127.0.0.7", "127.0.0.8", "127.0.0.9", "127.0.0.10",
                "127.0.0.11", "127.0.0.12")) {
            Optional<Map<String, String>> byTcpserver = environmentFrom(client, port);
            Optional<AccessRule> rule = greylited.lookup(InetAddress.getByName(client));
            boolean allowed = rule.map(AccessRule::allowed).orElse(true);
            assertEquals(byTcpserver.isPresent(), allowed, client + ": allowed by tcpserver, and by greylited");
            if (allowed) {
                Map<String, String> mine = new TreeMap<>(rule.map(AccessRule::variables).orElse(Map.of()));
                mine.keySet().retainAll(NAMES);
                assertEquals(byTcpserver.get(), mine, client + ": the variables tcpserver sets, and greylited's");
            }
        }
    }

    /** tcpserver on a free loopback port, its child printing the variables of {@link #NAMES} it was given. */
    private int startTcpserver(Path cdb) throws Exception {
        Path tcpserverProgram = ExternalPrograms.require("tcpserver");
        StringBuilder print = new StringBuilder();
        for (String name : NAMES) {
            print.append("[ -n \"${").append(name).append("+set}\" ] && echo \"").append(name).append("=$")
                    .append(name).append("\"; ");
        }
        print.append("echo end");
        for (int attempt = 0; ; attempt++) {
            int port;
            try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                port = probe.getLocalPort();
            }
            ProcessBuilder pb = new ProcessBuilder(tcpserverProgram.toString(), "-v", "-H", "-R", "-x", cdb.toString(),
                    "127.0.0.1", Integer.toString(port), "/bin/sh", "-c", print.toString())
                    .redirectErrorStream(true).redirectOutput(dir.resolve("tcpserver-" + attempt + ".log").toFile());
            for (String name : NAMES) {
                pb.environment().remove(name);
            }
            tcpserver = pb.start();
            if (listening(port)) {
                return port;
            }
            tcpserver.destroy();
            tcpserver.waitFor(10, TimeUnit.SECONDS);
            assertTrue(attempt < 5, "tcpserver did not start: "
                    + Files.readString(dir.resolve("tcpserver-" + attempt + ".log")));
        }
    }

    private boolean listening(int port) throws InterruptedException {
        for (int i = 0; i < 100 && tcpserver.isAlive(); i++) {
            try (Socket s = new Socket()) {
                s.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.4"), 0));
                s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1000);
                s.getInputStream().readAllBytes();
                return true;
            } catch (IOException e) {
                Thread.sleep(50);
            }
        }
        return false;
    }

    /** What tcpserver's child printed to a connection from {@code client}; empty when tcpserver denied it. */
    private static Optional<Map<String, String>> environmentFrom(String client, int port) throws IOException {
        try (Socket s = new Socket()) {
            s.bind(new InetSocketAddress(InetAddress.getByName(client), 0));
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 5000);
            s.setSoTimeout(10_000);
            InputStream in = s.getInputStream();
            String printed = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            if (printed.isEmpty()) {
                return Optional.empty();
            }
            assertTrue(printed.endsWith("end\n"), client + ": " + printed);
            Map<String, String> variables = new TreeMap<>();
            for (String line : printed.lines().toList()) {
                int eq = line.indexOf('=');
                if (eq > 0) {
                    variables.put(line.substring(0, eq), line.substring(eq + 1));
                }
            }
            return Optional.of(variables);
        }
    }
}
