package org.greylite.ucspi;

import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * {@code ucspi2socket ADDR [PORT]}: the UCSPI post-module that joins a client to a TCP server.
 *
 * <p>It connects to {@code ADDR:PORT} (port 25 when omitted; PORT a number, or a service name of
 * {@code /etc/services} as tcpserver's and tcpclient's port may be: {@code smtp}) and copies bytes both ways between
 * its own descriptors 0 and 1 (under tcpserver: the client's connection) and that socket, so a run
 * script can end in {@code greylite ucspi2socket 127.0.0.1 2525} to put the greylisting front before
 * any SMTP server. {@code ADDR} is an IPv4 address, an IPv6 address (bare or in brackets) or a host
 * name; a name with several addresses is tried address by address.
 *
 * <p>Closing follows the TCP half-close: end of input on descriptor 0 shuts down the socket's
 * sending side and the server's reply keeps flowing to descriptor 1 until the server closes. When
 * the server closes (or half-closes) its side, descriptor 1 is closed and the program exits at once,
 * even if the client is still sending: the server has ended the session.
 *
 * <p>It reads no environment variables and takes no options. Each connection attempt is limited to
 * {@value #CONNECT_TIMEOUT_MS} ms; a connection over which nothing passes either way for
 * {@value #SILENCE_SECONDS} s is given up (see {@link Relay}). Messages go to stderr as one line starting with
 * {@code ucspi2socket:}; nothing but the server's bytes is ever written to descriptor 1.
 *
 * <p>Exit codes, after qmail's convention:
 * <ul>
 *   <li>0: the session ended (the server closed its side);</li>
 *   <li>100: usage error (wrong arguments, an option such as {@code --help}, a port that is neither 1-65535 nor a
 *       TCP service of {@code /etc/services}, a port joined to the address as in {@code 127.0.0.1:2525});</li>
 *   <li>111: temporary failure: the address cannot be resolved, the connection is refused or
 *       times out, the connection broke mid-session (reset, client gone), or nothing passed either way for
 *       {@value #SILENCE_SECONDS} s.</li>
 * </ul>
 *
 * <p>The JDK alone, no libraries: the program starts once per SMTP connection, so start-up time
 * matters more than anything a library would add.
 */
public final class Ucspi2Socket {

    static final int EXIT_OK = 0;
    static final int EXIT_USAGE = 100;
    static final int EXIT_TEMPORARY = 111;
    static final int DEFAULT_PORT = 25;
    static final int CONNECT_TIMEOUT_MS = 10_000;
    /** qmail-smtpd's own timeout; the tests shorten it with the system property {@value #SILENCE_PROPERTY}. */
    static final int SILENCE_SECONDS = 1200;
    static final String SILENCE_PROPERTY = "greylite.ucspi2socket.silence-seconds";
    static final String SERVICES_PROPERTY = "greylite.ucspi2socket.services";
    /** Where PORT's service names are looked up; the tests give their own file with {@value #SERVICES_PROPERTY}. */
    static final Path SERVICES = Path.of(System.getProperty(SERVICES_PROPERTY, "/etc/services"));

    private static final String NAME = "ucspi2socket";

    private Ucspi2Socket() {
    }

    public static void main(String[] args) {
        // halt, not exit: no shutdown hooks to wait for, and the thread blocked reading fd 0 must
        // not keep the process alive once the server has gone.
        Runtime.getRuntime().halt(run(args));
    }

    static int run(String[] args) {
        // No host name starts with '-': "--help" or a misplaced option is a mistake to say, not a host to look up.
        if (args.length < 1 || args.length > 2 || args[0].isEmpty() || args[0].startsWith("-")) {
            return usage("usage: ucspi2socket ADDR [PORT]");
        }
        String meant = portJoined(args[0]);
        if (meant != null) {
            return usage("'" + args[0] + "' joins the port to the address; give it as an argument of its own:"
                    + " ucspi2socket " + meant);
        }
        String host = stripBrackets(args[0]);
        int port = DEFAULT_PORT;
        if (args.length == 2) {
            port = parsePort(args[1]);
            if (port < 0) {
                port = servicePort(args[1], SERVICES);
            }
            if (port < 0) {
                return usage("bad port '" + args[1] + "' (1-65535, or a TCP service of " + SERVICES
                        + "); usage: ucspi2socket ADDR [PORT]");
            }
        }
        String target = (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;

        Socket socket;
        try {
            socket = connect(host, port);
        } catch (UnknownHostException e) {
            warn("cannot connect to " + target + ": cannot resolve " + host);
            return EXIT_TEMPORARY;
        } catch (IOException e) {
            warn("cannot connect to " + target + ": " + describe(e));
            return EXIT_TEMPORARY;
        }

        Relay relay = new Relay(new FileInputStream(FileDescriptor.in),
                new FileOutputStream(FileDescriptor.out), socket, silenceSeconds() * 1000L);
        try {
            relay.run();
            return EXIT_OK;
        } catch (Relay.Silent e) {
            warn("gave up the connection to " + target + ": " + e.getMessage());
            return EXIT_TEMPORARY;
        } catch (Relay.ClientGone e) {
            warn("the client went away while " + target + " was still sending: " + describe(e));
            return EXIT_TEMPORARY;
        } catch (IOException e) {
            warn("connection to " + target + " broke: " + describe(e));
            return EXIT_TEMPORARY;
        } finally {
            closeQuietly(socket);
        }
    }

    private static long silenceSeconds() {
        try {
            long s = Long.parseLong(System.getProperty(SILENCE_PROPERTY, Integer.toString(SILENCE_SECONDS)));
            return s > 0 ? s : SILENCE_SECONDS;
        } catch (NumberFormatException e) {
            return SILENCE_SECONDS;
        }
    }

    /** Tries each address of {@code host} in turn; the last failure is the one reported. */
    private static Socket connect(String host, int port) throws IOException {
        InetAddress[] addresses = InetAddress.getAllByName(host);
        IOException last = null;
        for (InetAddress address : addresses) {
            Socket socket = new Socket();
            try {
                socket.connect(new InetSocketAddress(address, port), CONNECT_TIMEOUT_MS);
                // Every chunk read from one side is written whole to the other: no small-write
                // storm for Nagle to fix, and SMTP replies should not wait for an ACK.
                socket.setTcpNoDelay(true);
                return socket;
            } catch (IOException e) {
                closeQuietly(socket);
                last = e;
            }
        }
        throw last != null ? last : new UnknownHostException(host);
    }

    /**
     * {@code ADDR PORT} when {@code arg} is an address with its port joined as in a URL ({@code 127.0.0.1:2525},
     * {@code [2001:db8::1]:2525}, {@code mx.example.org:2525}), else null. Taken for a host name, such an argument
     * could not be resolved: a temporary failure (111), every client told 421 until someone read the log, for what
     * is a mistake in the run script. A bare IPv6 address has two colons or more, so it is never read so.
     */
    static String portJoined(String arg) {
        int colon = arg.lastIndexOf(':');
        if (colon <= 0 || parsePort(arg.substring(colon + 1)) < 0) {
            return null;
        }
        String address = arg.substring(0, colon);
        boolean bracketed = address.startsWith("[") && address.endsWith("]") && address.length() > 2;
        if (!bracketed && address.indexOf(':') >= 0) {
            return null; // an IPv6 address, whose last group may well be digits
        }
        return address + " " + arg.substring(colon + 1);
    }

    private static String stripBrackets(String host) {
        if (host.length() > 2 && host.startsWith("[") && host.endsWith("]")) {
            return host.substring(1, host.length() - 1);
        }
        return host;
    }

    /**
     * The TCP port of the service {@code name} in {@code services} (the format of {@code /etc/services}: a name, its
     * {@code PORT/PROTOCOL}, its aliases, a {@code #} comment), or -1 when the file names no such TCP service or cannot
     * be read. tcpserver and tcpclient take a service name for their port too (the qmail run script's {@code 0 smtp}).
     */
    static int servicePort(String name, Path services) {
        List<String> lines;
        try {
            lines = Files.readAllLines(services, StandardCharsets.ISO_8859_1);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        for (String line : lines) {
            int hash = line.indexOf('#');
            String[] fields = (hash >= 0 ? line.substring(0, hash) : line).trim().split("\\s+");
            if (fields.length < 2 || !fields[1].endsWith("/tcp")) {
                continue;
            }
            for (int i = 0; i < fields.length; i++) {
                if (i != 1 && fields[i].equals(name)) {
                    return parsePort(fields[1].substring(0, fields[1].length() - "/tcp".length()));
                }
            }
        }
        return -1;
    }

    /** The port, or -1 when the text is not a number in 1-65535. */
    static int parsePort(String text) {
        if (text.isEmpty() || text.length() > 5 || !text.chars().allMatch(c -> c >= '0' && c <= '9')) {
            return -1;
        }
        int port = Integer.parseInt(text);
        return port >= 1 && port <= 65535 ? port : -1;
    }

    static String describe(IOException e) {
        if (e instanceof SocketTimeoutException) {
            return "timed out";
        }
        String message = e.getMessage();
        return message == null || message.isBlank() ? e.getClass().getSimpleName() : message;
    }

    private static int usage(String message) {
        warn(message);
        return EXIT_USAGE;
    }

    static void warn(String message) {
        System.err.println(NAME + ": " + message);
        System.err.flush();
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException ignored) {
            // nothing left to do with a socket we are abandoning
        }
    }
}
