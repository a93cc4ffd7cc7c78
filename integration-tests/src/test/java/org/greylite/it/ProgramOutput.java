package org.greylite.it;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a started program (bin/greylited, bin/greydaemon, bin/greylite-policy) writes on its merged stdout and
 * stderr, line by line, read by a thread of its own so the program never blocks on a full pipe; and the wait for
 * the line that says it is ready.
 */
final class ProgramOutput {

    private final Process process;
    private final String name;
    private final List<String> lines = new CopyOnWriteArrayList<>();

    /** Starts reading {@code process}'s output (start it with {@code redirectErrorStream(true)}). */
    ProgramOutput(Process process, String name) {
        this.process = process;
        this.name = name;
        BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        Thread reader = new Thread(() -> {
            try {
                String line;
                while ((line = r.readLine()) != null) {
                    lines.add(line);
                }
            } catch (IOException e) {
                // the program is gone
            }
        }, name + "-output");
        reader.setDaemon(true);
        reader.start();
    }

    /** The lines so far (a live view). */
    List<String> lines() {
        return lines;
    }

    /**
     * Waits for a line {@code ready} is found in; returns the match.
     *
     * @throws AssertionError with the output so far, when the program ends first or {@code within} runs out
     */
    Matcher await(Pattern ready, Duration within) throws InterruptedException {
        long deadline = System.nanoTime() + within.toNanos();
        while (System.nanoTime() < deadline) {
            for (String line : lines) {
                Matcher m = ready.matcher(line);
                if (m.find()) {
                    return m;
                }
            }
            if (!process.isAlive()) {
                throw new AssertionError(name + " exited before it was ready:\n" + String.join("\n", lines));
            }
            Thread.sleep(50);
        }
        throw new AssertionError(name + " was not ready within " + within + ":\n" + String.join("\n", lines));
    }
}
