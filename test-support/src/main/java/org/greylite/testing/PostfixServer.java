package org.greylite.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.Assertions;

/**
 * A real Postfix (Debian's) for a test, from a folder of its own: its main.cf and master.cf, queue and log
 * there, smtpd listeners on loopback and free ports, mail for any domain accepted into its queue and then
 * discarded, or written to a folder ({@link Builder#deliverInto}), or sent on by its smtp client when the
 * test sets the transports ({@code relay_transport = smtp:[127.0.0.1]:PORT}; the smtp, tlsmgr and scache
 * services are there). Started with {@code postfix -c DIR start}, stopped with {@code postfix -c DIR stop}.
 *
 * <pre>
 * try (PostfixServer postfix = PostfixServer.in(dir)
 *         .main("smtpd_authorized_xclient_hosts", "127.0.0.1")
 *         .listener("plain")
 *         .listener("proxy", "smtpd_upstream_proxy_protocol=haproxy")
 *         .start()) {
 *     int port = postfix.port("plain");
 * </pre>
 *
 * <p>The Postfix master runs as root and its daemons as the {@code postfix} user, so the tests must run as
 * root (they do under CI). Without Postfix, or not as root, the test is skipped on a developer's machine and
 * fails under {@code CI=true} ({@link ExternalPrograms}).
 */
public final class PostfixServer implements AutoCloseable {

    private final Path dir;
    private final Path config;
    private final Map<String, Integer> ports;
    private final Path delivered; // null: mail is discarded
    private final Thread stopAtExit;
    private boolean stopped;

    private PostfixServer(Path dir, Map<String, Integer> ports, Path delivered) {
        this.dir = dir;
        this.config = dir.resolve("conf");
        this.ports = Map.copyOf(ports);
        this.delivered = delivered;
        this.stopAtExit = new Thread(this::stopQuietly, "postfix-stop");
        Runtime.getRuntime().addShutdownHook(stopAtExit);
    }

    /** A Postfix to be set up in {@code dir}, a folder the test owns. */
    public static Builder in(Path dir) {
        return new Builder(dir);
    }

    /** The port of the smtpd listener of that name. */
    public int port(String listener) {
        Integer p = ports.get(listener);
        if (p == null) {
            throw new IllegalArgumentException("no listener named " + listener + ": " + ports.keySet());
        }
        return p;
    }

    public InetSocketAddress address(String listener) {
        return new InetSocketAddress("127.0.0.1", port(listener));
    }

    /** Postfix's log so far (its maillog_file). */
    public String log() {
        try {
            Path log = dir.resolve("maillog");
            return Files.exists(log) ? Files.readString(log, StandardCharsets.ISO_8859_1) : "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * This Postfix's smtp client lines about the delivery to {@code recipient}, one an attempt, in its log's order:
     * what a sending Postfix ({@link Builder#sendingTo}) was told by the server it relayed to.
     */
    public List<String> deliveryLines(String recipient) {
        // Postfix logs an address's bytes as they are (UTF-8), and log() reads its log one byte a character.
        String logged = new String(recipient.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
        return log().lines().filter(l -> l.contains("postfix/smtp[") && l.contains(" to=<" + logged + ">,")).toList();
    }

    /** Waits (up to 30 s) for {@code count} {@link #deliveryLines} about {@code recipient}; returns those there are then. */
    public List<String> awaitDeliveryLines(String recipient, int count) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (deliveryLines(recipient).size() < count && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        return deliveryLines(recipient);
    }

    /** Waits (up to 30 s) for a log line containing {@code text}; fails with the log otherwise. */
    public void awaitLog(String text) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!log().contains(text)) {
            if (System.nanoTime() > deadline) {
                Assertions.fail("Postfix never logged '" + text + "'; its log:\n" + log());
            }
            Thread.sleep(100);
        }
    }

    /**
     * Hands a message to the listener of that name as a client would: EHLO, MAIL FROM (with SMTPUTF8 when an
     * address is not ASCII), the RCPTs, DATA and the text (its lines ended with CRLF and dot-stuffed here).
     * Fails unless every reply is a success; returns the queue id Postfix gave it.
     */
    public String submit(String listener, String from, List<String> to, String message) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(address(listener), 10_000);
            s.setSoTimeout(30_000);
            InputStream in = s.getInputStream();
            OutputStream out = s.getOutputStream();
            expect(in, "220", "greeting");
            boolean utf8 = !StandardCharsets.US_ASCII.newEncoder().canEncode(from + String.join("", to));
            command(in, out, "250", "EHLO submitter.test");
            command(in, out, "250", "MAIL FROM:<" + from + ">" + (utf8 ? " SMTPUTF8" : ""));
            for (String rcpt : to) {
                command(in, out, "250", "RCPT TO:<" + rcpt + ">");
            }
            command(in, out, "354", "DATA");
            String text = message.replace("\r\n", "\n").replace("\n", "\r\n");
            if (!text.endsWith("\r\n")) {
                text += "\r\n";
            }
            text = (text.startsWith(".") ? "." : "") + text.replace("\r\n.", "\r\n..");
            out.write(text.getBytes(StandardCharsets.UTF_8));
            String queued = command(in, out, "250", ".");
            command(in, out, "221", "QUIT");
            return queued.replaceFirst(".*queued as ", "").trim();
        }
    }

    private static String command(InputStream in, OutputStream out, String code, String line) throws IOException {
        out.write(SmtpLines.command(line));
        out.flush();
        return expect(in, code, line);
    }

    private static String expect(InputStream in, String code, String after) throws IOException {
        String reply = SmtpLines.reply(in);
        if (!reply.startsWith(code)) {
            Assertions.fail("Postfix answered '" + reply + "' to " + after);
        }
        return reply;
    }

    /**
     * Each message delivered so far to {@code recipient} (with {@link Builder#deliverInto}), in the order they were
     * delivered, as the pipe(8) delivery wrote it: lines ended by LF, this Postfix's Received header first.
     */
    public List<String> delivered(String recipient) {
        if (delivered == null) {
            throw new IllegalStateException("this Postfix discards its mail: see Builder.deliverInto");
        }
        String prefix = java.util.HexFormat.of().formatHex(recipient.getBytes(StandardCharsets.UTF_8)) + ".";
        try (Stream<Path> files = Files.list(delivered)) {
            List<String> messages = new ArrayList<>();
            for (Path f : files.filter(f -> f.getFileName().toString().startsWith(prefix))
                    .sorted(java.util.Comparator.comparing(PostfixServer::modified)).toList()) {
                messages.add(Files.readString(f, StandardCharsets.UTF_8));
            }
            return messages;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static java.nio.file.attribute.FileTime modified(Path file) {
        try {
            return Files.getLastModifiedTime(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Waits (up to 30 s) for a message delivered to {@code recipient} and returns the first; fails with the log otherwise. */
    public String awaitDelivered(String recipient) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (delivered(recipient).isEmpty()) {
            if (System.nanoTime() > deadline) {
                Assertions.fail("no mail for " + recipient + " was delivered; Postfix's log:\n" + log());
            }
            Thread.sleep(100);
        }
        return delivered(recipient).get(0);
    }

    /** What {@code postqueue -p} lists: the messages still queued, with the reason each waits. */
    public String queue() {
        return postfixCommand("postqueue", "-c", config.toString(), "-p");
    }

    @Override
    public synchronized void close() {
        stopQuietly();
        try {
            Runtime.getRuntime().removeShutdownHook(stopAtExit);
        } catch (IllegalStateException shuttingDown) {
            // the hook is running or has run
        }
    }

    private synchronized void stopQuietly() {
        if (!stopped) {
            stopped = true;
            try {
                postfix(config, "stop");
            } catch (RuntimeException ignored) {
                // best effort: the folder goes with the test
            }
        }
    }

    private static String postfix(Path config, String command) {
        return postfixCommand("postfix", "-c", config.toString(), command);
    }

    private static String postfixCommand(String program, String... args) {
        try {
            List<String> command = new ArrayList<>(List.of(ExternalPrograms.require(program).toString()));
            command.addAll(List.of(args));
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", command) + " failed: " + out);
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Collects main.cf settings, extra files and listeners; {@link #start()} writes them and starts Postfix. */
    public static final class Builder {

        private final Path dir;
        private final Map<String, String> main = new LinkedHashMap<>();
        private final Map<String, String> files = new LinkedHashMap<>();
        private final Map<String, List<String>> listeners = new LinkedHashMap<>();
        private Path deliverInto;

        private Builder(Path dir) {
            this.dir = dir;
        }

        /** A main.cf setting; {@code $config_directory} names the folder of files added with {@link #file}. */
        public Builder main(String name, String value) {
            main.put(name, value);
            return this;
        }

        /**
         * A queue that retries deferred mail within seconds, so that a test sees a greylisted message delivered: a
         * queue run every second, a back-off of 2 to 3 s. A deferred message is due 2 s later, never at the queue
         * run just after its deferral: one that the delivery agent has not let go of yet would be skipped ("still
         * being delivered") for a minute.
         */
        public Builder retryingWithinSeconds() {
            return main("queue_run_delay", "1s").main("minimal_backoff_time", "2s").main("maximal_backoff_time", "3s");
        }

        /**
         * A Postfix that sends the mail submitted to it on to {@code 127.0.0.1:port}, the program under test, as an
         * MTA's queue does: it greets as {@code sender.test} and retries deferred mail within seconds
         * ({@link #retryingWithinSeconds}). Other destinations may be routed with {@code transport_maps}.
         */
        public Builder sendingTo(int port) {
            return main("myhostname", "sender.test").main("relay_transport", "smtp:[127.0.0.1]:" + port)
                    .retryingWithinSeconds();
        }

        /**
         * A Postfix that receives what a {@link #sendingTo} Postfix sent through the program under test and
         * delivers it into {@code folder} ({@link #deliverInto}). It greets as {@code upstream.test}, not as the
         * sender does: Postfix's smtp client refuses a server that greets with its own name.
         */
        public Builder receivingInto(Path folder) {
            return main("myhostname", "upstream.test").deliverInto(folder);
        }

        /** A file in the configuration folder (a cidr or hash table, say). */
        public Builder file(String name, String content) {
            files.put(name, content);
            return this;
        }

        /** An smtpd listener with {@code -o name=value} overrides. */
        public Builder listener(String name, String... overrides) {
            listeners.put(name, List.of(overrides));
            return this;
        }

        /**
         * Mail for any domain is delivered, one file per recipient, into {@code folder} (made here, writable by
         * the delivery's user) by a pipe(8) transport, instead of discarded: {@link #delivered} reads it back.
         */
        public Builder deliverInto(Path folder) {
            this.deliverInto = folder;
            return this;
        }

        public PostfixServer start() throws IOException, InterruptedException {
            ExternalPrograms.require("postfix");
            RootOnly.require("Postfix's master must start as root");
            Path config = Files.createDirectories(dir.resolve("conf"));
            Path data = Files.createDirectories(dir.resolve("data"));
            Files.createDirectories(dir.resolve("queue"));
            // The daemons run as 'postfix': they must reach the folder, and own the data folder.
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
            letOthersThrough(dir.toAbsolutePath().getParent());
            UserPrincipal postfixUser = dir.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("postfix");
            Files.setOwner(data, postfixUser);

            Map<String, String> cf = new LinkedHashMap<>();
            cf.put("compatibility_level", "3.6");
            cf.put("queue_directory", dir.resolve("queue").toString());
            cf.put("data_directory", data.toString());
            cf.put("mail_owner", "postfix");
            cf.put("setgid_group", "postdrop");
            cf.put("myhostname", "postfix.test");
            cf.put("mydomain", "test");
            cf.put("mydestination", "");
            cf.put("mynetworks", "");
            cf.put("inet_interfaces", "127.0.0.1");
            cf.put("inet_protocols", "ipv4");
            cf.put("maillog_file", dir.resolve("maillog").toString());
            cf.put("maillog_file_prefixes", dir.toString());
            cf.put("alias_maps", "");
            cf.put("alias_database", "");
            cf.put("local_recipient_maps", "");
            // Any domain is accepted, queued and discarded: the test looks at the dialogue and the log.
            cf.put("relay_domains", "static:all");
            cf.put("smtpd_relay_restrictions", "reject_unauth_destination");
            cf.put("default_transport", "discard");
            cf.put("relay_transport", "discard");
            cf.put("local_transport", "discard");
            String deliveryService = "";
            if (deliverInto != null) {
                // pipe(8) runs the script as 'nobody' for each recipient; the file is named after the recipient's
                // bytes in hex (an address may not be ASCII, and the JVM's file names follow its locale), and the queue id;
                // it is written under a hidden name first, so that a reader never sees half a message.
                Files.createDirectories(deliverInto);
                Files.setPosixFilePermissions(deliverInto, PosixFilePermissions.fromString("rwxrwxrwx"));
                letOthersThrough(deliverInto.toAbsolutePath().getParent());
                Path script = config.resolve("deliver.sh");
                Files.writeString(script, "#!/bin/sh\nrcpt=$(printf %s \"$2\" | od -An -tx1 | tr -d ' \\n')\n"
                        + "cd '" + deliverInto.toAbsolutePath() + "' && cat > \".$rcpt.$1\" && exec mv \".$rcpt.$1\" \"$rcpt.$1\"\n");
                Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
                Files.setPosixFilePermissions(config, PosixFilePermissions.fromString("rwxr-xr-x"));
                cf.put("default_transport", "deliver");
                cf.put("relay_transport", "deliver");
                cf.put("deliver_destination_recipient_limit", "1");
                deliveryService = "deliver unix - n n - - pipe user=nobody argv=" + script + " ${queue_id} ${recipient}";
            }
            cf.putAll(main);
            StringBuilder mainCf = new StringBuilder();
            cf.forEach((k, v) -> mainCf.append(k).append(" = ").append(v).append('\n'));
            Files.writeString(config.resolve("main.cf"), mainCf);
            for (Map.Entry<String, String> f : files.entrySet()) {
                Files.writeString(config.resolve(f.getKey()), f.getValue());
            }

            Map<String, Integer> ports = new LinkedHashMap<>();
            StringBuilder masterCf = new StringBuilder();
            for (Map.Entry<String, List<String>> l : listeners.entrySet()) {
                int port = FreePort.loopback();
                ports.put(l.getKey(), port);
                masterCf.append("127.0.0.1:").append(port).append(" inet n - n - - smtpd");
                for (String o : l.getValue()) {
                    masterCf.append(" -o ").append(o);
                }
                masterCf.append('\n');
            }
            for (String service : List.of(
                    "cleanup unix n - n - 0 cleanup", "qmgr unix n - n 300 1 qmgr", "rewrite unix - - n - - trivial-rewrite",
                    "bounce unix - - n - 0 bounce", "defer unix - - n - 0 bounce", "trace unix - - n - 0 bounce",
                    "verify unix - - n - 1 verify", "proxymap unix - - n - - proxymap", "discard unix - - n - - discard",
                    "anvil unix - - n - 1 anvil", "scache unix - - n - 1 scache", "postlog unix-dgram n - n - 1 postlogd",
                    "smtp unix - - n - - smtp", "tlsmgr unix - - n 1000? 1 tlsmgr", "error unix - - n - - error",
                    "retry unix - - n - - error", "showq unix n - n - - showq", "flush unix n - n 1000? 0 flush", deliveryService)) {
                masterCf.append(service).append('\n');
            }
            Files.writeString(config.resolve("master.cf"), masterCf);

            PostfixServer server = new PostfixServer(dir, ports, deliverInto);
            try {
                try {
                    postfix(config, "start");
                } catch (IllegalStateException e) {
                    // postfix writes to a terminal or the log only
                    throw new IllegalStateException(e.getMessage() + "\nits log:\n" + server.log(), e);
                }
                for (int port : ports.values()) {
                    awaitListening(port, server);
                }
            } catch (RuntimeException | Error e) {
                server.close();
                throw e;
            }
            return server;
        }

        /** A test's temporary folders are private (0700): the daemons need to pass through them. */
        private static void letOthersThrough(Path folder) throws IOException {
            for (Path p = folder; p != null; p = p.getParent()) {
                java.util.Set<java.nio.file.attribute.PosixFilePermission> perms = Files.getPosixFilePermissions(p);
                if (!perms.contains(java.nio.file.attribute.PosixFilePermission.OTHERS_EXECUTE)) {
                    perms.add(java.nio.file.attribute.PosixFilePermission.OTHERS_EXECUTE);
                    perms.add(java.nio.file.attribute.PosixFilePermission.GROUP_EXECUTE);
                    Files.setPosixFilePermissions(p, perms);
                }
            }
        }

        private static void awaitListening(int port, PostfixServer server) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (true) {
                try (Socket s = new Socket()) {
                    s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
                    return;
                } catch (IOException notYet) {
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException("Postfix did not listen on port " + port + "; its log:\n" + server.log());
                    }
                    Thread.sleep(100);
                }
            }
        }
    }
}
