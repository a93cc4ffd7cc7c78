package org.greylite.testing;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code java} command a test starts one of the project's programs with: this JVM's java, with the serial
 * collector and the C1 compiler only, as bin/greylitectl, bin/dnsblenv and bin/ucspi2socket start theirs. A test's
 * program lives for seconds and answers a few clients, so the start is most of its work; C2 and the parallel
 * collector's threads would take about half of its CPU again (on a 2-core machine building modules side by side,
 * time every other test waits for). Neither changes what the program does or says.
 */
public final class ProgramJvm {

    private ProgramJvm() {
    }

    /** {@code java} and the JVM options, to be followed by {@code -cp}, the main class and its arguments. */
    public static List<String> java() {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(List.of("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xshare:auto"));
        return command;
    }
}
