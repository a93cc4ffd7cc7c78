package org.greylite.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.greylite.testing.RootOnly;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bin/ launchers end with the programs' exit statuses, which the systemd units and daemontools act on: 2 for
 * a configuration that cannot be used (not restarted by the units), 111 for a start that failed for now (a port
 * taken: retried). The launchers exec Java, so the program's status is theirs; bin/greydaemon's own check of
 * {@code -u USER} says 2 for a user that does not exist, as greydaemon says for any other mistake in its flags.
 */
@Timeout(180)
class LauncherExitStatusTest {

    @TempDir
    Path dir;

    @BeforeAll
    static void built() {
        Launchers.requireBuilt();
    }

    private record Exit(int status, List<String> lines) {
        boolean said(String text) {
            return lines.stream().anyMatch(l -> l.contains(text));
        }
    }

    private Exit run(String program, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Launchers.bin(program)));
        cmd.addAll(List.of(args));
        return run(program, new ProcessBuilder(cmd));
    }

    private Exit run(String program, ProcessBuilder pb) throws Exception {
        Launchers.Ended ended = Launchers.runToEnd(pb, dir, program, 90);
        return new Exit(ended.status(), ended.out().lines().toList());
    }

    @Test
    void greylitedSaysTwoForAConfigurationLineAndOneHundredElevenForAPortTaken() throws Exception {
        Path conf = Files.writeString(dir.resolve("greylited.conf"), "metrics = 9725\n");
        Exit bad = run("greylited", "--config", conf.toString(), "--upstream", "127.0.0.1:9",
                "--db", dir.resolve("greylite.db").toString());
        assertEquals(2, bad.status(), String.join("\n", bad.lines()));
        assertTrue(bad.said(conf + ":1: --metrics wants HOST:PORT, the host included (e.g. 127.0.0.1:9725"), bad.lines().toString());

        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Exit busy = run("greylited", "--listen", "127.0.0.1:" + taken.getLocalPort(), "--upstream", "127.0.0.1:9",
                    "--db", dir.resolve("greylite.db").toString(), "--ptr-timeout", "0");
            assertEquals(111, busy.status(), String.join("\n", busy.lines()));
            assertTrue(busy.said("cannot listen on 127.0.0.1:" + taken.getLocalPort() + ": Address already in use"),
                    busy.lines().toString());
        }
    }

    @Test
    void theWrapperSaysWhyProgramCannotRunEvenWhenTheClientIsAlreadyGone() throws Exception {
        // The client's side at its end from the start: greylite has no one to answer and exits at once; the
        // administrator's line must come out before it does (it was lost in a race with the exit).
        for (int i = 0; i < 3; i++) {
            ProcessBuilder pb = new ProcessBuilder(Launchers.bin("greylite"), "/nonexistent/qmail-smtpd");
            pb.environment().put("GREYLIST", "");
            pb.environment().put("TCPREMOTEIP", "192.0.2.7");
            pb.environment().put("DBFILE", dir.resolve("greylite.db").toString());
            Exit exit = run("greylite", pb);
            assertEquals(111, exit.status(), String.join("\n", exit.lines()));
            assertTrue(exit.said(" ERROR cannot run /nonexistent/qmail-smtpd: No such file or directory"),
                    exit.lines().toString());
        }
    }

    @Test
    void greylitePolicySaysOneHundredElevenForAPortTaken() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Exit busy = run("greylite-policy", "--inet=127.0.0.1:" + taken.getLocalPort(),
                    "--db=" + dir.resolve("greylite.db"));
            assertEquals(111, busy.status(), String.join("\n", busy.lines()));
            assertTrue(busy.said("greylite-policy: cannot listen on 127.0.0.1:" + taken.getLocalPort()), busy.lines().toString());
        }
    }

    @Test
    void greydaemonSaysOneHundredElevenForItsPortTakenAndTwoForAMissingFile() throws Exception {
        try (DatagramSocket taken = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            Exit busy = run("greydaemon", "127.0.0.1:" + taken.getLocalPort(), dir.resolve("greydb").toString());
            assertEquals(111, busy.status(), String.join("\n", busy.lines()));
            assertTrue(busy.said("cannot bind UDP 127.0.0.1:" + taken.getLocalPort()), busy.lines().toString());
        }
        Exit bad = run("greydaemon", "-w", dir.resolve("missing").toString(), "127.0.0.1:0", dir.resolve("greydb").toString());
        assertEquals(2, bad.status(), String.join("\n", bad.lines()));
        assertTrue(bad.said("-w: " + dir.resolve("missing") + " cannot be read (no such file)"), bad.lines().toString());
    }

    @Test
    void greydaemonAsRootSaysTwoForAUserThatDoesNotExist() throws Exception {
        RootOnly.require("bin/greydaemon checks -u USER when started as root");
        Exit bad = run("greydaemon", "-u", "no-such-user-here", "127.0.0.1:0", dir.resolve("greydb").toString());
        assertEquals(2, bad.status(), String.join("\n", bad.lines()));
        assertEquals(List.of("greydaemon: -u no-such-user-here: no such user"), bad.lines());
    }

    /**
     * A user that does not exist is said as such whoever starts bin/greydaemon. Started by another user, the start
     * stopped telling the administrator to start it as root, which switches to the user: done, the next start said
     * there was no such user.
     */
    @Test
    void greydaemonNotAsRootSaysTwoForAUserThatDoesNotExist() throws Exception {
        RootOnly.require("the test starts bin/greydaemon as nobody with setpriv, which needs root");
        Exit bad = run("greydaemon", new ProcessBuilder("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                Launchers.bin("greydaemon"), "-u", "no-such-user-here", "127.0.0.1:0", dir.resolve("greydb").toString()));
        assertEquals(2, bad.status(), String.join("\n", bad.lines()));
        assertEquals(List.of("greydaemon: -u no-such-user-here: no such user"), bad.lines());
    }
}
