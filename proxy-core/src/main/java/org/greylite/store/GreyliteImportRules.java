package org.greylite.store;

import java.time.Clock;
import java.util.Objects;

import org.greylite.greylist.GreylistSettings;

/**
 * What a program that greylists knows and the import of greylite 2.3's tables ({@link Greylite23Import}) needs: how
 * it keys clients and senders, how long its rows live, and the time now. A program without them (greylitectl, which
 * decides nothing) opens a greydb without importing, and leaves the import to the first program that greylists.
 */
public record GreyliteImportRules(GreylistSettings settings, Clock clock) {

    public GreyliteImportRules {
        Objects.requireNonNull(settings, "settings");
        Objects.requireNonNull(clock, "clock");
    }
}
