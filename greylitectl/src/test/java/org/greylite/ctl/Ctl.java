package org.greylite.ctl;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Map;

import picocli.CommandLine;

/** Runs greylitectl in-process, as its main would, with the output captured. */
final class Ctl {

    /** What one run printed and returned. */
    record Run(int exit, String out, String err) {
        @Override
        public String toString() {
            return "exit " + exit + "\n--- out\n" + out + "--- err\n" + err;
        }
    }

    private Ctl() {
    }

    static Run run(Map<String, String> env, String... args) {
        return run(env, java.time.Clock.systemUTC(), args);
    }

    static Run run(Map<String, String> env, java.time.Clock clock, String... args) {
        CommandLine cmd = GreyliteCtl.commandLine(env, clock);
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cmd.setOut(new PrintWriter(out, true));
        cmd.setErr(new PrintWriter(err, true));
        int exit = cmd.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }
}
