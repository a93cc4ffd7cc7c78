package org.greylite.config;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;

import org.slf4j.Logger;

/**
 * Runs an action when the process gets SIGHUP, the daemon convention for "read your files again"
 * ({@code kill -HUP}, {@code svc -h}). Replaces the JVM's default, which treats SIGHUP as a request to stop.
 * Shared by the long-running programs (greylited, greylite-policy, greydaemon).
 *
 * <p>Java has no public signal API; {@code sun.misc.Signal} (module {@code jdk.unsupported}) is the one
 * every JDK carries. It is reached by reflection rather than named in the code, so that the build stays free
 * of "internal proprietary API" warnings and a JVM without it (or one run with {@code -Xrs}) starts anyway,
 * only without SIGHUP.
 */
public final class Hangup {

    private Hangup() {
    }

    /**
     * Installs {@code action} as the SIGHUP handler. The action runs on a thread of its own for each signal;
     * an exception it throws is logged, never fatal.
     *
     * @return whether the handler is in place (a warning is logged when not)
     */
    public static boolean onHangup(Runnable action, Logger log) {
        try {
            Class<?> signalClass = Class.forName("sun.misc.Signal");
            Class<?> handlerClass = Class.forName("sun.misc.SignalHandler");
            Object signal = signalClass.getConstructor(String.class).newInstance("HUP");
            Object handler = Proxy.newProxyInstance(handlerClass.getClassLoader(), new Class<?>[] {handlerClass},
                    (proxy, method, args) -> {
                        switch (method.getName()) {
                            case "handle":
                                try {
                                    action.run();
                                } catch (RuntimeException e) {
                                    log.error("SIGHUP: the reload failed", e);
                                }
                                return null;
                            case "equals":
                                return proxy == args[0];
                            case "hashCode":
                                return System.identityHashCode(proxy);
                            default:
                                return "SIGHUP handler";
                        }
                    });
            signalClass.getMethod("handle", signalClass, handlerClass).invoke(null, signal, handler);
            return true;
        } catch (InvocationTargetException e) {
            log.warn("SIGHUP cannot be handled here ({}): files are reloaded only when they change", e.getCause().toString());
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            log.warn("SIGHUP cannot be handled here ({}): files are reloaded only when they change", e.toString());
        }
        return false;
    }
}
