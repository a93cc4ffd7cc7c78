package org.greylite.store;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.Consumer;

import org.greylite.greylist.ClientKeyOrder;

/**
 * The order triplets are listed in: oldest first (by first attempt), and among those first seen in the same second
 * by client ({@link ClientKeyOrder}: 10.0.0.9 before 10.0.0.10, IPv4 before IPv6), then sender, then recipient.
 * The greydb reads them ordered by first attempt; the rows of each second are held here and sorted before they go
 * on, as SQL has no order for addresses that both SQLite and PostgreSQL know. One second's first attempts is all
 * that is held, however large the greydb, so the rows still go on as they are read; and at most {@link #MOST_HELD}
 * of them: a greydb filled by hand or by a script can hold a million rows of one second, which held here would
 * take the memory {@code db list} keeps its rows out of. Past that many, those held go on in order and the rest of
 * the second after them, in order among themselves: the order within such a second is given up, not the memory.
 */
final class TripletListOrder implements Consumer<GreydbAdmin.TripletRow> {

    private static final Comparator<GreydbAdmin.TripletRow> SENDER_RECIPIENT = Comparator
            .comparing((GreydbAdmin.TripletRow r) -> r.key().sender())
            .thenComparing(r -> r.key().recipient());

    /** The most rows of one second held at once: some 5 MB. */
    static final int MOST_HELD = 10_000;

    private final Consumer<GreydbAdmin.TripletRow> each;
    private final List<GreydbAdmin.TripletRow> sameSecond = new ArrayList<>();

    TripletListOrder(Consumer<GreydbAdmin.TripletRow> each) {
        this.each = each;
    }

    /** Takes the next row in order of first attempt. */
    @Override
    public void accept(GreydbAdmin.TripletRow row) {
        if (!sameSecond.isEmpty() && (sameSecond.size() >= MOST_HELD
                || !sameSecond.get(0).state().firstSeen().equals(row.state().firstSeen()))) {
            handOn();
        }
        sameSecond.add(row);
    }

    /** Hands on the rows still held: call once the last row was taken. */
    void finish() {
        handOn();
    }

    private void handOn() {
        sameSecond.sort(SENDER_RECIPIENT);
        // stable: the rows of one client stay by sender and recipient
        ClientKeyOrder.sorted(sameSecond, r -> r.key().client()).forEach(each);
        sameSecond.clear();
    }
}
