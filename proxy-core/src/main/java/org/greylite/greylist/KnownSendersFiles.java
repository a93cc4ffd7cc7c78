package org.greylite.greylist;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;

import org.greylite.files.UnreadableFile;
import org.slf4j.Logger;

/**
 * The known senders of a long-running program (greylited, greylite-policy, greydaemon): the shipped list and the
 * administrator's files, held in memory for the engine and read again at SIGHUP ({@link #reload}), so that an
 * administrator who adds a partner's relay and runs {@code systemctl reload} sees it let through without a restart.
 *
 * <p>The rule is the suspicion and access files' ({@link org.greylite.files.FollowedFile}): a reload that cannot read
 * a file, or finds a line that does not load, keeps the whole list in force before it, each line at fault logged with
 * its file and line. Dropping the bad line alone would greylist again, without a word, the client it was meant to
 * let through. At start there is nothing to keep, so {@link KnownSenders#load} leaves such a line out.
 *
 * <p>Read at SIGHUP only, not followed by a timer: postgrey's whitelists are read so too, and the list changes
 * seldom. The engine reads the list in force once per decision ({@link #get}); a reload replaces it in one write.
 */
public final class KnownSendersFiles implements Supplier<KnownSenders> {

    private final boolean shipped;
    private final List<Path> files;
    private volatile KnownSenders current;

    /**
     * @param shipped whether the shipped list is part of it (no {@code --no-shipped-whitelist})
     * @param files   the administrator's files, in their order
     * @param loaded  what the start read from them
     */
    public KnownSendersFiles(boolean shipped, List<Path> files, KnownSenders loaded) {
        this.shipped = shipped;
        this.files = List.copyOf(files);
        this.current = Objects.requireNonNull(loaded, "loaded");
    }

    /** The list in force. */
    @Override
    public KnownSenders get() {
        return current;
    }

    /** The administrator's files. */
    public List<Path> files() {
        return files;
    }

    /**
     * SIGHUP: reads the files again. Without files of the administrator there is nothing to read (the shipped list
     * is in the jar) and nothing is logged.
     *
     * @return true when the new list is in force (or there was nothing to read); false when the one before stays,
     *         the reasons logged as errors
     */
    public boolean reload(Logger log) {
        if (files.isEmpty()) {
            return true;
        }
        KnownSenders before = current;
        KnownSenders read;
        try {
            read = KnownSenders.load(shipped, files);
        } catch (KnownSenders.UnreadableFile e) {
            // An error, as a suspicion file that cannot be read is: the list the administrator asked for is not in
            // force, and the wrapper's LOGTHRESHOLD=3 shows errors only.
            log.error("{}: cannot read the file: {}; keeping the {} known senders loaded before", e.file(),
                    UnreadableFile.reason(e.file(), e.reason()), before.size());
            return false;
        } catch (IOException e) {
            log.error("known senders: {}; keeping the {} loaded before", e.getMessage(), before.size());
            return false;
        }
        if (!read.problems().isEmpty()) {
            read.problems().forEach(p -> log.error("known senders: {}", p));
            log.error("known senders {}: not reloaded: {} line(s) do not load (above); keeping the {} known senders"
                    + " loaded before", files, read.problems().size(), before.size());
            return false;
        }
        current = read;
        log.info("known senders {}: reloaded, {} entries{}", files, read.size(),
                shipped ? " (shipped list included)" : "");
        return true;
    }
}
