package org.greylite.daemon;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.greylite.config.FileErrors;
import org.subethamail.smtp.MessageHandler;
import org.subethamail.smtp.server.SMTPServer;

/**
 * The upstream greylited uses when none is given: an SMTP server (SubEthaSMTP) on a loopback port
 * that accepts all mail and saves each delivered copy as a file, so the whole job can be watched on
 * a fresh machine with nothing else installed.
 */
final class DemoUpstream implements AutoCloseable {

    private final SMTPServer server;
    private final Path folder;
    private final DemoMailFolder mail;

    DemoUpstream(Path folder) {
        this.folder = folder.toAbsolutePath();
        try {
            Files.createDirectories(this.folder);
            this.mail = new DemoMailFolder(this.folder);
        } catch (IOException e) {
            // The JDK's message here is the path alone (AccessDeniedException, FileAlreadyExistsException): say why.
            throw new UncheckedIOException("cannot create the demo mail folder " + this.folder + " ("
                    + FileErrors.describe(this.folder, e) + "): run the demo from a folder you can write", e);
        }
        this.server = SMTPServer.port(0)
                .bindAddress(InetAddress.getLoopbackAddress())
                .hostName("demo-upstream.localhost")
                .softwareName("greylited demo upstream")
                .insertReceivedHeaders(false)
                .messageHandlerFactory(context -> new EveryRecipient())
                .build();
    }

    /**
     * One transaction: the message is saved once for each of its recipients. SubEthaSMTP's simple listener keeps the
     * last RCPT of a transaction only, so a message to several recipients was saved for the last one alone.
     */
    private final class EveryRecipient implements MessageHandler {

        private final List<String> recipients = new ArrayList<>();

        @Override
        public void from(String from) {
        }

        @Override
        public void recipient(String recipient) {
            recipients.add(recipient);
        }

        @Override
        public String data(InputStream data) throws IOException {
            byte[] message = data.readAllBytes();
            for (String to : recipients) {
                mail.save(to, message);
            }
            return null;
        }

        @Override
        public void done() {
        }
    }

    DemoUpstream start() {
        server.start();
        return this;
    }

    InetSocketAddress address() {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), server.getPortAllocated());
    }

    Path folder() {
        return folder;
    }

    @Override
    public void close() {
        server.stop();
    }
}
