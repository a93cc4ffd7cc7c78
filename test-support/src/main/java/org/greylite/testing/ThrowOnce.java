package org.greylite.testing;

import java.util.concurrent.atomic.AtomicReference;

/**
 * A failure nothing foresaw (a defect's RuntimeException, a StackOverflowError, the NoClassDefFoundError of a jar
 * replaced under a running program), thrown by the first call of {@link #now()} and by none after: for the tests
 * that a program outlives one and goes on.
 */
public final class ThrowOnce {

    private final AtomicReference<Throwable> pending;

    private ThrowOnce(Throwable failure) {
        this.pending = new AtomicReference<>(failure);
    }

    /** An unchecked {@code kind} (a RuntimeException or an Error) with the message "unforeseen". */
    public static ThrowOnce of(Class<? extends Throwable> kind) {
        if (!RuntimeException.class.isAssignableFrom(kind) && !Error.class.isAssignableFrom(kind)) {
            throw new IllegalArgumentException(kind + " is checked: code that declares none cannot throw it");
        }
        try {
            return new ThrowOnce(kind.getConstructor(String.class).newInstance("unforeseen"));
        } catch (ReflectiveOperationException e) {
            throw new IllegalArgumentException(kind + " has no constructor taking a message", e);
        }
    }

    /** Throws the failure the first time, returns at once every time after. */
    public void now() {
        Throwable t = pending.getAndSet(null);
        if (t instanceof Error e) {
            throw e;
        }
        if (t != null) {
            throw (RuntimeException) t;
        }
    }
}
