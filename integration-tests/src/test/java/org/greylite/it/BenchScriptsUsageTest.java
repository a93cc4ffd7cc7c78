package org.greylite.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The long-running scripts README.md and bench/README.md name answer {@code --help} with their own header and a
 * word they do not take with a usage line, and start nothing either way: a reader asking how to run one must not
 * set off minutes of load (postgrey started as root, every core busy) or an hour of fuzzing.
 */
@Timeout(120)
class BenchScriptsUsageTest {

    private record Run(int status, String out) {
    }

    private static Run run(String script, String arg) throws Exception {
        Process p = new ProcessBuilder(List.of(Launchers.HOME.resolve(script).toString(), arg))
                .directory(Launchers.HOME.toFile()).redirectErrorStream(true).start();
        p.getOutputStream().close();
        boolean ended = p.waitFor(20, TimeUnit.SECONDS);
        if (!ended) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(ended, script + " " + arg + " was still running after 20 s (it started its work): " + out);
        return new Run(p.exitValue(), out);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "bench/run.sh            | greylited against HAProxy",
        "bench/wrapper-startup.sh | What the tcpserver wrapper costs a connection",
        "bench/greydaemon/run.sh | bin/greydaemon under the load of 1 and 4",
        "bench/policy/run.sh     | greylite-policy against Debian's postgrey",
        "bench/java-floor.sh     | where greylited's CPU beyond HAProxy's goes",
        "fuzz/run-long.sh        | The long fuzzing run",
    })
    void helpPrintsTheHeaderAndStartsNothing(String script, String header) throws Exception {
        Run help = run(script, "--help");
        assertEquals(0, help.status(), help.out());
        assertTrue(help.out().contains(header), help.out());
        assertTrue(!help.out().contains("#!/") && !help.out().contains("set -eu"), "the comment, not the code: " + help.out());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "bench/run.sh            | usage: bench/run.sh",
        "bench/wrapper-startup.sh | usage: bench/wrapper-startup.sh",
        "bench/greydaemon/run.sh | usage: ",
        "bench/policy/run.sh     | usage: bench/policy/run.sh",
        "bench/java-floor.sh     | usage: ",
        "fuzz/run-long.sh        | no target 'nosuch'",
    })
    void aWordItDoesNotTakeIsRefusedWithItsUsage(String script, String said) throws Exception {
        Run bad = run(script, "nosuch");
        assertEquals(2, bad.status(), bad.out());
        assertTrue(bad.out().contains(said), bad.out());
    }
}
