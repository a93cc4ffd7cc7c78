package org.greylite.greydaemon;

import java.util.function.Supplier;

import org.slf4j.Logger;

/**
 * greydaemon's {@code -w} ranges while it runs: read at start ({@link WhitelistRanges#load}) and again at SIGHUP
 * ({@link #reload}), so that a relay added to the file is answered {@code 1,1} after {@code svc -h} without a restart
 * (greydaemon read the file at start only, and a restart under daemontools drops the requests of the moment).
 *
 * <p>The rule is the suspicion file's: an edit that cannot be read, or has a line that names no range (one greydaemon
 * would have refused, without a digit, or one skipped with a warning, {@code 300.1.2.3}), keeps the ranges in force
 * before it whole, the file and line said in the log. At start there is nothing to keep: a skipped line is left out,
 * and a line without a digit stops the start, as greydaemon died on it.
 *
 * <p>The decisions read the ranges in force once per batch ({@link #get}); a reload replaces them in one write.
 */
final class WhitelistRangesFile implements Supplier<WhitelistRanges> {

    private volatile WhitelistRanges current;

    /** @param loaded what the start read ({@link WhitelistRanges#NONE} without {@code -w}) */
    WhitelistRangesFile(WhitelistRanges loaded) {
        this.current = loaded;
    }

    @Override
    public WhitelistRanges get() {
        return current;
    }

    /**
     * SIGHUP: reads the {@code -w} file again, when there is one.
     *
     * @return true when the new ranges are in force (or there is no file); false when the ones before stay
     */
    boolean reload(Logger log) {
        WhitelistRanges before = current;
        if (before.file() == null) {
            return true;
        }
        WhitelistRanges read;
        try {
            read = WhitelistRanges.load(before.file());
        } catch (IllegalArgumentException e) {
            // The file cannot be read, or has a line without a digit: the message names the file (and line).
            log.error("SIGHUP: {}; keeping the {} -w range(s) loaded before", e.getMessage(), before.size());
            return false;
        }
        if (!read.skipped().isEmpty()) {
            log.error("SIGHUP: -w {}: not reloaded: {} line(s) name no range ({}, said above); keeping the {} range(s)"
                    + " loaded before", before.file(), read.skipped().size(), String.join(", ", read.skipped()),
                    before.size());
            return false;
        }
        current = read;
        log.info("SIGHUP: -w {}: reloaded, {} range(s)", before.file(), read.size());
        return true;
    }
}
