package org.greylite.relay;

import java.nio.ByteBuffer;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

import org.greylite.net.AddressText;
import org.greylite.smtp.ByteQueue;
import org.greylite.smtp.CommandDecoder;
import org.greylite.smtp.CommandLine;
import org.greylite.smtp.ProxyV2Signature;
import org.greylite.smtp.Reply;
import org.greylite.smtp.ReplyAssembler;
import org.greylite.smtp.SmtpProtocolException;
import org.greylite.suspicion.Behaviour;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows one SMTP dialogue between a client and the upstream server and relays it, byte for byte,
 * except where the proxy must answer itself (SPEC §2): a greylisted RCPT, STARTTLS ({@link ClientStartTls}),
 * XCLIENT and kin, an over-long or garbled command line, too many junk commands, an upstream that is gone.
 *
 * <p>Transport-agnostic: a {@link RelayTransport} moves the bytes, a {@link RcptPolicy} decides RCPTs.
 * Every method is synchronized, because the client side, the upstream side and the decision thread
 * call in from different threads.
 *
 * <p>This class takes the events of both connections and hands each to its room: client bytes to the
 * {@link CommandDecoder}, its lines to {@link ClientCommands} (RCPTs on to the {@link RcptDecisions}), message
 * text to the {@link MessageStream}; the upstream's replies, in order, to the {@link ReplyQueue}, what they mean
 * to {@link UpstreamReplies}; what the client said is kept in the {@link Envelope}; the deadline, the greeting's
 * timeout and the proxy's stop are the {@link SessionLimits}'; the end is told by the {@link SessionSummary}.
 *
 * <p><b>Holding input.</b> Some commands decide how the bytes after them must be read: after DATA they
 * are message text only if the upstream said 354; after AUTH they are a SASL response only if it said
 * 334; a RCPT under decision must reach the upstream (or not) before anything after it. While such a
 * reply or decision is outstanding, client input is queued, not interpreted; reading is paused when the
 * queue is large.
 */
public final class RelaySession {

    private static final Logger LOG = LoggerFactory.getLogger(RelaySession.class);

    /** Unread client input beyond this pauses reading from the client. */
    static final int PAUSE_INPUT_BYTES = 64 * 1024;
    /** RFC 4954 4: the response by which a client cancels an authentication exchange. */
    private static final byte[] CANCEL_AUTHENTICATION = "*\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    /** The longest upstream reply line accepted. */
    private static final int MAX_REPLY_LINE = 64 * 1024;

    private enum Phase { WAITING_GREETING, COMMANDS, CLOSED }

    private final RelayTransport transport;
    private final RelaySettings settings;
    private final SessionInfo info;
    private final RelayEvents events;
    private final String clientAddress;
    private final ClientStartTls clientTls;

    private final ByteQueue inbox = new ByteQueue();
    private final CommandDecoder decoder;
    private final ReplyAssembler upstreamReplies = new ReplyAssembler(MAX_REPLY_LINE);
    private final Set<Behaviour> behaviours = EnumSet.noneOf(Behaviour.class);
    private final Envelope envelope = new Envelope();
    private final ReplyQueue queue;
    private final MessageStream stream;
    private final RcptDecisions decisions;
    private final EnvelopeReplay replay;
    private final SessionSummary summary;
    private final UpstreamEhlo upstreamEhlo = new UpstreamEhlo();
    private final ClientCommands commands;
    private final SessionLimits limits;
    private final UpstreamReplies replies;

    private Phase phase = Phase.WAITING_GREETING;
    private boolean pumping;
    private boolean inputEnded; // the client half-closed: answer what it sent, then end
    private boolean authContinuation; // the next line is a SASL response, not a command
    private boolean inputPaused;
    // System.nanoTime() of the client's latest input: what the inbox holds came no later (see RcptDecisions.request)
    private long clientInputNanos = System.nanoTime();
    private boolean upstreamAbandoned;
    private boolean upstreamAnnouncedClose;
    private boolean started;
    private boolean ended;

    public RelaySession(RelayTransport transport, RcptPolicy policy, RelaySettings settings, SessionInfo info) {
        this(transport, policy, settings, info, RelayEvents.NONE);
    }

    /** With {@code events} told when the session opens and ends and when the upstream fails it. */
    public RelaySession(RelayTransport transport, RcptPolicy policy, RelaySettings settings, SessionInfo info,
                        RelayEvents events) {
        this.transport = transport;
        this.settings = settings;
        this.info = info;
        this.events = Objects.requireNonNull(events, "events");
        this.clientAddress = AddressText.of(info.client());
        this.clientTls = new ClientStartTls(transport.clientTlsAvailable());
        this.decoder = new CommandDecoder(settings.maxLineLength());
        this.summary = new SessionSummary(info);
        this.queue = new ReplyQueue(transport, this::close, behaviours);
        this.stream = new MessageStream(transport, queue, envelope, settings.replies(), this::abandonUpstream,
                clientAddress);
        UpstreamReset upstreamReset = new UpstreamReset(queue, envelope);
        this.decisions = new RcptDecisions(policy, info, envelope, behaviours, transport, queue, stream,
                settings, events, summary, upstreamReset, this, this::isClosed, this::pump, () -> clientInputNanos);
        this.replay = new EnvelopeReplay(transport, queue, stream, envelope, settings.replies(), this::pump,
                clientAddress, () -> events.upstreamFailed(info, RelayEvents.UpstreamFailure.PROTOCOL));
        JunkCommands junk = new JunkCommands(settings.junkCommandLimit());
        this.commands = new ClientCommands(transport, settings, info, events, queue, envelope, decisions, replay,
                upstreamReset, stream, clientTls, upstreamEhlo, behaviours, junk, inbox, this, this::isClosed);
        this.replies = new UpstreamReplies(upstreamEhlo, clientTls, envelope, stream, summary, behaviours, junk,
                decisions::judgesRefusal);
        this.limits = new SessionLimits(transport, settings, info, events, this, () -> phase == Phase.WAITING_GREETING,
                this::betweenTransactions, stream::midMessage, this::isClosed, this::failClient);
    }

    /** Tells the upstream who the client is with XCLIENT at its first HELO or EHLO; call before {@link #start()}. */
    public synchronized void introduceWithXclient(XclientIntroduction introduction) {
        commands.introduceWithXclient(Objects.requireNonNull(introduction, "introduction"));
    }

    /**
     * The PTR lookup of a client whose name was not known when the session started: the session summary
     * names the client with its result, when it has come by then.
     */
    public synchronized void nameFrom(CompletableFuture<String> lookup) {
        summary.nameFrom(lookup);
    }

    // ---------------------------------------------------------------- events from the transport

    /** The client has connected: wait out the greeting delay, or connect upstream at once. */
    public synchronized void start() {
        started = true;
        events.sessionOpened(info);
        limits.started();
        queue.expect(Slot.Kind.GREETING);
        if (settings.greetDelayMillis() > 0) {
            // No upstream connection yet: a tarpitted bot costs the upstream nothing.
            transport.schedule(settings.greetDelayMillis(), this::greetingDelayElapsed);
        } else {
            transport.connectUpstream();
        }
    }

    private synchronized void greetingDelayElapsed() {
        if (phase != Phase.CLOSED) {
            transport.connectUpstream();
        }
    }

    public synchronized void onUpstreamConnected() {
        // Nothing to send: the upstream speaks first (its greeting), within the greeting timeout.
        limits.upstreamConnected();
    }

    public synchronized void onUpstreamConnectFailed(Throwable cause) {
        if (phase == Phase.CLOSED) {
            return;
        }
        if (noDescriptorLeft(cause)) {
            // The upstream was never asked: the proxy itself could not open a socket. Said as an upstream
            // failure, and counted as one, it sent the administrator to look at a server that was fine.
            LOG.error("cannot connect to the upstream for client {}: no file descriptor left here ({}); raise the"
                    + " open-file limit: ulimit -n, or LimitNOFILE= in the systemd unit", clientAddress, describe(cause));
        } else {
            LOG.error("upstream unreachable for client {}: {}", clientAddress, describe(cause));
            events.upstreamFailed(info, RelayEvents.UpstreamFailure.CONNECT);
        }
        failClient(settings.replies().upstreamUnavailable());
    }

    public synchronized void onClientData(ByteBuffer bytes) {
        if (phase == Phase.CLOSED) {
            return;
        }
        summary.clientSent(bytes.remaining());
        clientInputNanos = System.nanoTime();
        if (clientTls.discardingInput()) {
            return; // sent in clear after STARTTLS: it must not pass for what the client says under TLS
        }
        if (phase == Phase.WAITING_GREETING && bytes.hasRemaining() && settings.greetDelayMillis() > 0) {
            // Only the greeting delay watches for early talkers (SPEC §2). Without it the wait is the upstream's (at
            // its process limit, or the upstream TLS handshake before the greeting), not a test the administrator
            // set: a client marked there would be made suspicious, and never auto-whitelisted, by chance.
            behaviours.add(Behaviour.GREETDELAY);
        }
        inbox.append(bytes);
        pump();
    }

    public synchronized void onUpstreamData(ByteBuffer bytes) {
        if (phase == Phase.CLOSED || upstreamAbandoned) {
            return;
        }
        try {
            upstreamReplies.feed(bytes, this::onUpstreamReply);
        } catch (SmtpProtocolException e) {
            LOG.error("upstream broke the protocol in the session of client {}: {}", clientAddress, e.getMessage());
            events.upstreamFailed(info, RelayEvents.UpstreamFailure.PROTOCOL);
            failClient(settings.replies().upstreamUnavailable());
            return;
        }
        pump();
    }

    /**
     * TLS now runs on the client's connection. RFC 3207 4.2: what the client said before counts for nothing,
     * so it must say EHLO again (which goes to the upstream as any EHLO) and start a new transaction.
     */
    public synchronized void onClientTlsStarted() {
        if (phase == Phase.CLOSED) {
            return;
        }
        clientTls.started();
        envelope.forget();
        LOG.debug("client {}: TLS started", clientAddress);
        pump();
    }

    /** The client's TLS handshake has finished: the session is under TLS (said in its end line). */
    public synchronized void onClientTlsSecured() {
        clientTls.secured();
    }

    /** The client is gone. A message it was sending is abandoned, so the upstream never delivers a part. */
    public synchronized void onClientClosed() {
        if (phase == Phase.CLOSED) {
            return;
        }
        clientGone();
    }

    /**
     * Ends the session of a client that will say nothing more and is owed nothing more. Its connection is closed
     * here too: after an end of input it is only half-closed, and left so it would hold its socket (and greylited's
     * place under the connection limits) for good, with the session already over.
     */
    private void clientGone() {
        boolean midMessage = stream.midMessage();
        if (midMessage) {
            LOG.info("client {} vanished in the middle of a message; the upstream connection is dropped so it"
                    + " discards the partial message", clientAddress);
        }
        phase = Phase.CLOSED;
        queue.stop();
        transport.closeClient();
        transport.closeUpstream(midMessage);
        ended();
    }

    /**
     * The client has shut down its sending side (a half-close) and will send nothing more. What it sent before is
     * still answered, as Postfix answers every command it read before the end of input, and the session then ends;
     * in the middle of a message it is a client that vanished (the partial message is dropped). Before the
     * upstream's greeting, commands the client sent all the same are answered after it (a script's {@code printf
     * 'EHLO ...\r\nQUIT\r\n' | nc}); a client that sent nothing is owed nothing and is gone at once.
     */
    public synchronized void onClientInputEnded() {
        if (phase == Phase.CLOSED || inputEnded) {
            return;
        }
        if (phase != Phase.COMMANDS && inbox.isEmpty()) {
            clientGone();
            return;
        }
        inputEnded = true;
        pump();
    }

    /** After the end of the client's input: once every command it sent has been answered, the session ends. */
    private void closeWhenInputAnswered() {
        if (!inputEnded || phase != Phase.COMMANDS || blocked()) {
            return;
        }
        if (stream.midMessage() && inbox.isEmpty()) {
            clientGone(); // the message was cut off: the client vanished in the middle of it
            return;
        }
        // What is left is at most a last line without its line ending: no command, nothing to answer.
        boolean commandsLeft = !inbox.isEmpty() && (stream.active() || inbox.indexOf((byte) '\n', 0) >= 0);
        if (queue.isEmpty() && !commandsLeft) {
            close();
        }
    }

    public synchronized void onUpstreamClosed() {
        if (phase == Phase.CLOSED || upstreamAbandoned) {
            return;
        }
        if (upstreamAnnouncedClose) {
            close();
            return;
        }
        // Every upstream failure that costs the client a 421 is an ERROR: SPEC §2 wants a log line with the 421, and
        // the wrapper's default LOGTHRESHOLD (3, greylite(8)'s) shows errors only, so a warning left it unexplained.
        LOG.error("upstream closed the connection unexpectedly in the session of client {}", clientAddress);
        events.upstreamFailed(info, RelayEvents.UpstreamFailure.CLOSED);
        failClient(settings.replies().upstreamUnavailable());
    }

    /**
     * The client has been silent for the idle timeout. Only a client we are waiting for is dropped: one that owes
     * nothing a reply is pending for, or the message text (a chunk's reply is pending, but only the client can
     * bring it about).
     */
    public synchronized void onClientIdle() {
        if (phase != Phase.CLOSED && transport.clientNotTaking()) {
            // Replies are owed, but the client does not read them: the wait is the client's, not the upstream's.
            LOG.info("client {} does not read its replies, dropped", clientAddress);
            failClient(settings.replies().idle());
            return;
        }
        // A client held back because the upstream does not take what it sent is not idle: the upstream is.
        boolean waitingForClient = (queue.isEmpty() || stream.active()) && !transport.upstreamNotTaking();
        if (phase != Phase.CLOSED && waitingForClient && !decisions.pending() && !replay.running()) {
            LOG.info("client {} idle too long, dropped", clientAddress);
            failClient(settings.replies().idle());
        }
    }

    /**
     * The upstream has been silent for its timeout. Only an upstream we are waiting for is given up, and not for
     * its greeting when that has a bound of its own.
     */
    public synchronized void onUpstreamIdle() {
        if (transport.clientNotTaking()) {
            return; // its replies are not read because the client does not read its own: the client's idle timeout
        }
        boolean greetingBounded = phase == Phase.WAITING_GREETING && limits.greetingBounded();
        // A BDAT's reply is not owed before its chunk is whole: a client silent in the middle of one is no
        // upstream failure (it was logged and counted as one, and the client told 421 4.3.0).
        boolean owes = stream.chunkComing() ? queue.upstreamOwesEarlierReplies() : queue.upstreamOwesReplies();
        // Nor is a reply all it may owe: an upstream that stopped reading a message has failed the session too.
        boolean notTaking = transport.upstreamNotTaking();
        if (phase != Phase.CLOSED && !greetingBounded && (owes || notTaking)) {
            LOG.error("upstream did not {} in time in the session of client {}", notTaking ? "read what it was sent"
                    : "answer", clientAddress);
            events.upstreamFailed(info, RelayEvents.UpstreamFailure.TIMEOUT);
            failClient(settings.replies().upstreamUnavailable());
        }
    }

    public synchronized boolean isClosed() {
        return phase == Phase.CLOSED;
    }

    /**
     * The proxy is stopping: the client is told {@code 421 4.3.2} as soon as nothing is under way, or at once with
     * {@code now} (the grace period is over), the upstream connection dropped with any partial message.
     */
    public synchronized void stop(boolean now) {
        limits.stop(now);
    }

    /** Nothing under way that a 421 now would cut short: no transaction, no reply owed, no decision, no message. */
    private boolean betweenTransactions() {
        return phase == Phase.WAITING_GREETING || (queue.isEmpty() && !decisions.pending() && !replay.running() && !stream.active()
                && envelope.sender() == null && !authContinuation);
    }

    // ---------------------------------------------------------------- client input

    private void pump() {
        if (pumping) {
            return; // a verdict delivered synchronously while a command is being handled
        }
        pumping = true;
        try {
            while (phase == Phase.COMMANDS && !inbox.isEmpty() && !blocked()) {
                if (stream.active()) {
                    stream.consume(inbox);
                } else if (!nextCommand()) {
                    break;
                }
            }
        } finally {
            pumping = false;
        }
        limits.afterEvent();
        closeWhenInputAnswered();
        boolean pause = phase != Phase.CLOSED && inbox.size() >= PAUSE_INPUT_BYTES;
        if (pause != inputPaused) {
            inputPaused = pause;
            transport.pauseClientInput(pause);
        }
    }

    private boolean blocked() {
        return decisions.pending() || replay.running() || queue.holdsInput();
    }

    /** Handles one complete command line; false when the queue holds no complete line yet. */
    private boolean nextCommand() {
        Slot pendingEhlo = upstreamEhlo.pending();
        if (pendingEhlo != null && decoder.nextLineStartsWith(inbox, "bdat")) {
            // Whether the upstream reads a chunk as data depends on what its EHLO reply offers: wait for it.
            // RFC 2920 3.1 has EHLO end a group of pipelined commands, so a real client never waits here.
            queue.barrier(pendingEhlo);
            return false;
        }
        Slot unansweredMail = commands.unansweredMail();
        if (unansweredMail != null && decoder.nextLineStartsWith(inbox, "rcpt")) {
            queue.barrier(unansweredMail); // decided once the upstream holds its sender (ClientCommands#unansweredMail)
            return false;
        }
        if (!authContinuation && !decoder.discarding()) {
            switch (ProxyV2Signature.at(inbox)) {
                case SIGNATURE:
                    commands.proxyV2Header(); // SPEC §2: PROXY headers from clients are refused
                    return true;
                case PARTIAL:
                    return false; // the rest of the signature is on its way
                default:
                    break;
            }
        }
        switch (decoder.next(inbox, authContinuation)) {
            case LINE:
                handleCommand(decoder.line());
                return true;
            case TOO_LONG:
                if (authContinuation) {
                    cancelAuthentication();
                } else {
                    commands.refuse(settings.replies().lineTooLong());
                }
                return true;
            case SKIPPED:
                return true;
            default:
                return false;
        }
    }

    /**
     * A SASL response too long to take (a Kerberos token with a large PAC, past RFC 4954's 12288 octets): the
     * upstream still waits for a response, and answered here alone, the exchange went on there and took the client's
     * next command for one. It is cancelled at the upstream instead, with the line RFC 4954 4 gives the client for
     * that ({@code *}, which the server must refuse with 501), and that refusal is the client's reply.
     */
    private void cancelAuthentication() {
        authContinuation = false;
        queue.forward(CANCEL_AUTHENTICATION, Slot.Kind.AUTH, true);
    }

    private void handleCommand(CommandLine c) {
        if (authContinuation) {
            authContinuation = false;
            queue.forward(c.raw(), Slot.Kind.AUTH, true);
            return;
        }
        commands.handle(c);
    }

    /** The smuggling guard's way out: the upstream is dropped at once, with the partial message. */
    private void abandonUpstream() {
        upstreamAbandoned = true;
        transport.closeUpstream(true);
    }

    // ---------------------------------------------------------------- upstream replies

    private void onUpstreamReply(Reply r) {
        Slot s = queue.nextAwaited();
        if (s == null) {
            // Unsolicited: typically a 421 before the upstream hangs up. Pass it on.
            if (r.announcesClose()) {
                upstreamAnnouncedClose = true;
            }
            transport.toClient(r.raw());
            return;
        }
        if (s.kind == Slot.Kind.REPLAY) {
            replay.answered(r);
            return;
        }
        if (s.kind == Slot.Kind.RESET) {
            if (!r.isPositive()) {
                // Which transaction the upstream holds now cannot be known: nothing more may go to it.
                LOG.error("upstream refused RSET in the session of client {} ({}); closing with 421", clientAddress, r);
                events.upstreamFailed(info, RelayEvents.UpstreamFailure.PROTOCOL);
                failClient(settings.replies().upstreamUnavailable());
            }
            return;
        }
        if (decisions.upstreamReplied(s, r)) {
            return; // upstream-first: an accepted recipient's reply waits for its decision
        }
        if (s.kind == Slot.Kind.XCLIENT_PROBE || s.kind == Slot.Kind.XCLIENT) {
            XclientDialogue introducing = commands.introducing();
            r = introducing.step(s, r);
            if (introducing.failure() != null) {
                XclientIntroduction.failed(clientAddress, introducing.failure());
                events.upstreamFailed(info, RelayEvents.UpstreamFailure.PROTOCOL);
                failClient(settings.replies().upstreamUnavailable());
                return;
            }
            if (r == null) {
                return;
            }
        }
        Reply out = replies.apply(s, r);
        if (s.kind == Slot.Kind.GREETING) {
            phase = Phase.COMMANDS;
        } else if (s.kind == Slot.Kind.AUTH && r.code() == 334) {
            authContinuation = true;
        }
        if (s.kind == Slot.Kind.QUIT || r.announcesClose()) {
            upstreamAnnouncedClose = true;
            s.closeAfter = true;
        }
        s.reply = out;
        queue.filled(s);
        queue.flush();
    }

    // ---------------------------------------------------------------- the end

    /** Ends the session after the replies written so far reach the client. */
    private void close() {
        phase = Phase.CLOSED;
        queue.stop();
        transport.closeClient();
        transport.closeUpstream(false);
        ended();
    }

    /** Tells the client why and ends the session; the upstream connection is dropped. */
    private void failClient(Reply r) {
        phase = Phase.CLOSED;
        queue.stop();
        transport.toClient(r.raw());
        transport.closeClient();
        transport.closeUpstream(true);
        ended();
    }

    /** The session is over: said once, to the events and in the log. */
    private void ended() {
        if (!ended && started) {
            ended = true;
            events.sessionClosed(info);
        }
        summary.log(envelope.heloText(), clientTls.wasSecured());
    }

    /**
     * Whether connecting failed for want of a descriptor of our own (EMFILE, or ENFILE for the whole system), which
     * the JDK reports only in the message. Here rather than in a class of its own: with the descriptor table full,
     * loading a class from a folder of classes would fail too.
     */
    private static boolean noDescriptorLeft(Throwable cause) {
        for (Throwable t = cause; t != null; t = t.getCause()) {
            if (t.getMessage() != null && t.getMessage().contains("Too many open files")) {
                return true;
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return false;
    }

    private static String describe(Throwable t) {
        String m = t.getMessage();
        return t.getClass().getSimpleName() + (m == null ? "" : ": " + m);
    }
}
