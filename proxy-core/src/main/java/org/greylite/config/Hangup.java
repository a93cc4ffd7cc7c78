package org.greylite.config;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;

import org.slf4j.Logger;

/**
 * Runs an action when the process gets SIGHUP, the daemon convention for "read your files again"
 * ({@code kill -HUP}, {@code svc -h}). Replaces the JVM's default, which treats SIGHUP as a request to stop.
 * Shared by the long-running programs (greylited, greylite-policy, greydaemon).
 *
 * <p>Two signals close together (a deploy hook and an admin's {@code kill -HUP}) get a thread each; their reloads run
 * one after the other, never at once, so that a slower first one cannot put back in force what the second read.
 *
 * <p>SIGUSR1 is taken too, and only logged: its default action ends the process, and {@code kill -USR1} is the
 * habit of logrotate's {@code postrotate} for daemons that reopen their log file. These programs write their log
 * to stderr, and have none to reopen; a habit carried over must not stop an MX.
 *
 * <p>Java has no public signal API; {@code sun.misc.Signal} (module {@code jdk.unsupported}) is the one
 * every JDK carries. It is reached by reflection rather than named in the code, so that the build stays free
 * of "internal proprietary API" warnings and a JVM without it (or one run with {@code -Xrs}) starts anyway,
 * only without SIGHUP.
 */
public final class Hangup {

    /**
     * One for the process, not one for each {@link #onHangup}: a program installs its handler again once it has a
     * logger, and a reload begun under the first must still keep one begun under the second waiting.
     */
    private static final Object ONE_AT_A_TIME = new Object();

    private Hangup() {
    }

    /**
     * Installs {@code action} as the SIGHUP handler. The action runs on a thread of its own for each signal;
     * an exception it throws is logged, never fatal. Called again, it replaces the handlers: {@code log} is where
     * a failed reload and a SIGUSR1 are said, so a program that installed them before it had a logger installs
     * them again once it has one.
     *
     * @return whether the handler is in place (a warning is logged when not)
     */
    public static boolean onHangup(Runnable action, Logger log) {
        try {
            handle("HUP", () -> {
                synchronized (ONE_AT_A_TIME) {
                    try {
                        action.run();
                    } catch (RuntimeException e) {
                        log.error("SIGHUP: the reload failed", e);
                    }
                }
            });
        } catch (InvocationTargetException e) {
            log.warn("SIGHUP cannot be handled here ({}): files are reloaded only when they change", e.getCause().toString());
            return false;
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            log.warn("SIGHUP cannot be handled here ({}): files are reloaded only when they change", e.toString());
            return false;
        }
        try {
            handle("USR1", () -> log.warn("SIGUSR1 ignored: the log goes to stderr, there is no log file to reopen"
                    + " (SIGHUP reads the files again)"));
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            // left to the JVM's default; SIGHUP, the signal that matters, is handled
        }
        return true;
    }

    /** Installs {@code action} as the handler of the signal named (as {@code kill -l} names it, without SIG). */
    private static void handle(String name, Runnable action) throws ReflectiveOperationException {
        Class<?> signalClass = Class.forName("sun.misc.Signal");
        Class<?> handlerClass = Class.forName("sun.misc.SignalHandler");
        Object signal = signalClass.getConstructor(String.class).newInstance(name);
        Object handler = Proxy.newProxyInstance(handlerClass.getClassLoader(), new Class<?>[] {handlerClass},
                (proxy, method, args) -> {
                    switch (method.getName()) {
                        case "handle":
                            action.run();
                            return null;
                        case "equals":
                            return proxy == args[0];
                        case "hashCode":
                            return System.identityHashCode(proxy);
                        default:
                            return "SIG" + name + " handler";
                    }
                });
        signalClass.getMethod("handle", signalClass, handlerClass).invoke(null, signal, handler);
    }
}
