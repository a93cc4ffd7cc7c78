package org.greylite.relay;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

import org.greylite.greylist.RcptRequest;
import org.greylite.greylist.Verdict;
import org.greylite.smtp.ByteQueue;
import org.greylite.smtp.CommandLine;
import org.greylite.smtp.DataEndScanner;
import org.greylite.smtp.EhloReplyFilter;
import org.greylite.smtp.Reply;
import org.greylite.smtp.ReplyAssembler;
import org.greylite.smtp.SmtpProtocolException;
import org.greylite.suspicion.Behaviour;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows one SMTP dialogue between a client and the upstream server and relays it, byte for byte,
 * except where the proxy must answer itself (SPEC §2): a greylisted RCPT, STARTTLS ({@link ClientStartTls}),
 * XCLIENT and kin, an over-long or garbled command line, an upstream that is gone.
 *
 * <p>Transport-agnostic: a {@link RelayTransport} moves the bytes, a {@link RcptPolicy} decides RCPTs.
 * Every method is synchronized, because the client side, the upstream side and the decision thread
 * call in from different threads.
 *
 * <p><b>Reply order.</b> Each client command gets a slot in {@link #slots}, in command order. A slot
 * is filled by the upstream's reply (upstream replies come in the order commands were forwarded) or by
 * the proxy's own reply; slots are written to the client strictly from the head, so under pipelining
 * the client reads its replies in the order of its commands whoever wrote them.
 *
 * <p><b>Holding input.</b> Some commands decide how the bytes after them must be read: after DATA they
 * are message text only if the upstream said 354; after AUTH they are a SASL response only if it said
 * 334; a RCPT under decision must reach the upstream (or not) before anything after it. While such a
 * reply or decision is outstanding, client input is queued, not interpreted; reading is paused when the
 * queue is large.
 *
 * <p><b>The null sender.</b> Mail from {@code <>} (bounces, and the probes other servers send to verify
 * an address before accepting mail from it) is greylisted at DATA, not at RCPT, as Harris proposed:
 * its RCPTs go to the upstream undecided, so a verification probe ({@code MAIL FROM:<>}, {@code RCPT},
 * {@code QUIT}) gets the upstream's real answer; at DATA (or the first BDAT) every recipient the upstream
 * accepted is decided, and if any is greylisted the DATA gets the greylisting reply and never reaches the
 * upstream.
 */
public final class RelaySession {

    private static final Logger LOG = LoggerFactory.getLogger(RelaySession.class);

    /** Unread client input beyond this pauses reading from the client. */
    static final int PAUSE_INPUT_BYTES = 64 * 1024;
    /** RFC 4954 4: AUTH lines and SASL responses may be 12288 octets long. */
    static final int MAX_SASL_LINE = 12288;
    /** The longest upstream reply line accepted. */
    private static final int MAX_REPLY_LINE = 64 * 1024;
    /** Extensions that must not reach the client: the proxy could not follow the session through them. */
    private static final EhloReplyFilter EHLO_FILTER =
            new EhloReplyFilter(Set.of("STARTTLS", "XCLIENT", "XFORWARD", "XCLIENTPROXY"));

    private enum Phase { WAITING_GREETING, COMMANDS, DATA, BDAT, DISCARDING_CHUNK, REFUSING_DATA, CLOSED }

    /** What a slot's command was, where its reply changes the session. */
    private enum Kind {
        GREETING, EHLO, RCPT, RCPT_DEFERRED, DATA, DATA_END, BDAT, AUTH, QUIT, OTHER, LOCAL,
        /** The client's first HELO/EHLO, while the proxy introduces it with XCLIENT: the probe, then XCLIENT. */
        XCLIENT_PROBE, XCLIENT
    }

    /** One reply owed to the client. */
    private static final class Slot {
        Kind kind;
        Reply reply;
        boolean closeAfter;
        boolean startTlsAfter; // the 220 to STARTTLS: TLS starts on the client's connection once it is sent
        String recipient; // RCPT_DEFERRED: the recipient to decide at DATA if the upstream accepts it
        CommandLine greeting; // XCLIENT_PROBE, XCLIENT: the client's HELO or EHLO, sent once the client is introduced
        Reply probeReply;     // XCLIENT: the reply to the probe, the client's if XCLIENT is refused

        Slot(Kind kind) {
            this.kind = kind;
        }
    }

    private final RelayTransport transport;
    private final RcptPolicy policy;
    private final RelaySettings settings;
    private final SessionInfo info;
    private final RelayEvents events;
    private final String clientAddress;
    private XclientIntroduction xclient; // null: the upstream is not told who the client is
    private XclientIntroduction introducing; // the introduction under way
    private java.util.concurrent.CompletableFuture<String> nameLookup; // null: the name is info.ptrName()
    private final ClientStartTls clientTls;

    private final ByteQueue inbox = new ByteQueue();
    private final ReplyAssembler upstreamReplies = new ReplyAssembler(MAX_REPLY_LINE);
    private final DataEndScanner dataEnd = new DataEndScanner();
    private final ArrayDeque<Slot> slots = new ArrayDeque<>();
    private final ArrayDeque<Slot> awaitingUpstream = new ArrayDeque<>();
    private final EnumSet<Behaviour> behaviours = EnumSet.noneOf(Behaviour.class);

    private Phase phase = Phase.WAITING_GREETING;
    private Slot barrier;             // the reply that must arrive before more input is interpreted
    private boolean decisionPending;
    private boolean pumping;
    private boolean discardingLongLine;
    private boolean authContinuation; // the next line is a SASL response, not a command
    private boolean inputPaused;
    private boolean upstreamAbandoned;
    private boolean upstreamAnnouncedClose;
    private boolean upstreamChunking; // the upstream's last EHLO reply offered CHUNKING: it reads BDAT chunks as data
    private Slot pendingEhlo;         // the client's EHLO whose reply has not come yet
    private long bdatRemaining;

    // Envelope of the transaction in progress.
    private String helo = "";
    private String sender;           // null: no MAIL FROM yet
    private final java.util.List<String> deferredRecipients = new java.util.ArrayList<>(); // null sender: decided at DATA
    private Reply transactionRefusal; // null sender: the refusal a BDAT got; later chunks get it too (null: none)
    private boolean authenticated;

    // For the session summary.
    private final long startedNanos = System.nanoTime();
    private long clientBytes;
    private int messages;
    private int rcptAccepted;
    private int rcptRefused;
    private boolean summaryLogged;
    private boolean started;
    private boolean ended;

    public RelaySession(RelayTransport transport, RcptPolicy policy, RelaySettings settings, SessionInfo info) {
        this(transport, policy, settings, info, RelayEvents.NONE);
    }

    /** With {@code events} told when the session opens and ends and when the upstream fails it. */
    public RelaySession(RelayTransport transport, RcptPolicy policy, RelaySettings settings, SessionInfo info,
                        RelayEvents events) {
        this.transport = transport;
        this.policy = policy;
        this.settings = settings;
        this.info = info;
        this.events = Objects.requireNonNull(events, "events");
        this.clientAddress = info.client().getHostAddress();
        this.clientTls = new ClientStartTls(transport.clientTlsAvailable());
    }

    /** Tells the upstream who the client is with XCLIENT at its first HELO or EHLO; call before {@link #start()}. */
    public synchronized void introduceWithXclient(XclientIntroduction introduction) {
        this.xclient = Objects.requireNonNull(introduction, "introduction");
    }

    /**
     * The PTR lookup of a client whose name was not known when the session started: the session summary
     * names the client with its result, when it has come by then.
     */
    public synchronized void nameFrom(java.util.concurrent.CompletableFuture<String> lookup) {
        this.nameLookup = Objects.requireNonNull(lookup, "lookup");
    }

    // ---------------------------------------------------------------- events from the transport

    /** The client has connected: wait out the greeting delay, or connect upstream at once. */
    public synchronized void start() {
        started = true;
        events.sessionOpened(info);
        Slot greeting = new Slot(Kind.GREETING);
        slots.add(greeting);
        awaitingUpstream.add(greeting);
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
        // Nothing to send: the upstream speaks first (its greeting).
    }

    public synchronized void onUpstreamConnectFailed(Throwable cause) {
        if (phase == Phase.CLOSED) {
            return;
        }
        LOG.warn("upstream unreachable for client {}: {}", clientAddress, describe(cause));
        events.upstreamFailed(info, RelayEvents.UpstreamFailure.CONNECT);
        failClient(settings.replies().upstreamUnavailable());
    }

    public synchronized void onClientData(ByteBuffer bytes) {
        if (phase == Phase.CLOSED) {
            return;
        }
        clientBytes += bytes.remaining();
        if (clientTls.discardingInput()) {
            return; // sent in clear after STARTTLS: it must not pass for what the client says under TLS
        }
        if (phase == Phase.WAITING_GREETING && bytes.hasRemaining()) {
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
            LOG.warn("upstream broke the protocol in the session of client {}: {}", clientAddress, e.getMessage());
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
        helo = "";
        resetTransaction();
        authenticated = false;
        LOG.debug("client {}: TLS started", clientAddress);
        pump();
    }

    /** The client is gone. A message it was sending is abandoned, so the upstream never delivers a part. */
    public synchronized void onClientClosed() {
        if (phase == Phase.CLOSED) {
            return;
        }
        boolean midMessage = phase == Phase.DATA || phase == Phase.BDAT;
        if (midMessage) {
            LOG.info("client {} vanished in the middle of a message; the upstream connection is dropped so it"
                    + " discards the partial message", clientAddress);
        }
        phase = Phase.CLOSED;
        transport.closeUpstream(midMessage);
        ended();
    }

    public synchronized void onUpstreamClosed() {
        if (phase == Phase.CLOSED || upstreamAbandoned) {
            return;
        }
        if (upstreamAnnouncedClose) {
            close();
            return;
        }
        LOG.warn("upstream closed the connection unexpectedly in the session of client {}", clientAddress);
        events.upstreamFailed(info, RelayEvents.UpstreamFailure.CLOSED);
        failClient(settings.replies().upstreamUnavailable());
    }

    /** The client has been silent for the idle timeout. Only a client we are waiting for is dropped. */
    public synchronized void onClientIdle() {
        if (phase != Phase.CLOSED && slots.isEmpty() && !decisionPending) {
            LOG.info("client {} idle too long, dropped", clientAddress);
            failClient(settings.replies().idle());
        }
    }

    /** The upstream has been silent for its timeout. Only an upstream we are waiting for is given up. */
    public synchronized void onUpstreamIdle() {
        if (phase != Phase.CLOSED && !awaitingUpstream.isEmpty()) {
            LOG.warn("upstream did not answer in time in the session of client {}", clientAddress);
            events.upstreamFailed(info, RelayEvents.UpstreamFailure.TIMEOUT);
            failClient(settings.replies().upstreamUnavailable());
        }
    }

    public synchronized boolean isClosed() {
        return phase == Phase.CLOSED;
    }

    // ---------------------------------------------------------------- client input

    private void pump() {
        if (pumping) {
            return; // a verdict delivered synchronously while a command is being handled
        }
        pumping = true;
        try {
            while (phase != Phase.CLOSED && !inbox.isEmpty() && !blocked()) {
                boolean progressed;
                switch (phase) {
                    case COMMANDS:
                        progressed = nextCommand();
                        break;
                    case DATA:
                    case REFUSING_DATA:
                        scanData();
                        progressed = true;
                        break;
                    case BDAT:
                    case DISCARDING_CHUNK:
                        forwardChunk();
                        progressed = true;
                        break;
                    default:
                        progressed = false;
                }
                if (!progressed) {
                    break;
                }
            }
        } finally {
            pumping = false;
        }
        boolean pause = phase != Phase.CLOSED && inbox.size() >= PAUSE_INPUT_BYTES;
        if (pause != inputPaused) {
            inputPaused = pause;
            transport.pauseClientInput(pause);
        }
    }

    private boolean blocked() {
        return phase == Phase.WAITING_GREETING || decisionPending || barrier != null;
    }

    /** Handles one complete command line; false when the queue holds no complete line yet. */
    private boolean nextCommand() {
        int lf = inbox.indexOf((byte) '\n', 0);
        if (discardingLongLine) {
            if (lf < 0) {
                inbox.clear();
                return false;
            }
            inbox.skip(lf + 1);
            discardingLongLine = false;
            return true;
        }
        int max = saslLine() ? Math.max(settings.maxLineLength(), MAX_SASL_LINE) : settings.maxLineLength();
        if (lf < 0) {
            if (inbox.size() > max) {
                inbox.clear();
                discardingLongLine = true;
                local(settings.replies().lineTooLong());
            }
            return false;
        }
        if (lf + 1 > max) {
            inbox.skip(lf + 1);
            local(settings.replies().lineTooLong());
            return true;
        }
        if (pendingEhlo != null && startsWith("bdat")) {
            // Whether the upstream reads a chunk as data depends on what its EHLO reply offers: wait for it.
            // RFC 2920 3.1 has EHLO end a group of pipelined commands, so a real client never waits here.
            barrier = pendingEhlo;
            return false;
        }
        handleCommand(CommandLine.parse(inbox.take(lf + 1)));
        return true;
    }

    /** Whether the queued input starts with {@code verb} (lower case) and a space, in any case. */
    private boolean startsWith(String verb) {
        if (inbox.size() <= verb.length()) {
            return false;
        }
        for (int i = 0; i < verb.length(); i++) {
            if ((inbox.get(i) | 0x20) != verb.charAt(i)) {
                return false;
            }
        }
        return inbox.get(verb.length()) == ' ';
    }

    /** AUTH lines and SASL responses carry tokens (Kerberos, say) longer than ordinary commands. */
    private boolean saslLine() {
        if (authContinuation) {
            return true;
        }
        return startsWith("auth");
    }

    private void handleCommand(CommandLine c) {
        if (authContinuation) {
            authContinuation = false;
            forward(c.raw(), Kind.AUTH, true);
            return;
        }
        if (c.hasControlCharacters()) {
            local(settings.replies().controlCharacters());
            return;
        }
        switch (c.verb()) {
            case "EHLO":
            case "HELO":
                helo = c.args();
                resetTransaction();
                upstreamChunking = false; // known again from the EHLO reply (see pendingEhlo)
                pendingEhlo = null;
                if (xclient != null) {
                    introduce(c);
                } else if (isEhlo(c)) {
                    pendingEhlo = new Slot(Kind.EHLO);
                    forward(c.raw(), pendingEhlo);
                } else {
                    forward(c.raw(), Kind.OTHER, false);
                }
                break;
            case "MAIL":
                resetTransaction();
                sender = c.pathArgument("FROM").orElse(null);
                forward(c.raw(), Kind.OTHER, false);
                break;
            case "RCPT":
                rcpt(c);
                break;
            case "DATA":
                if (!deferredRecipients.isEmpty()) {
                    decideDeferred(c, -1, false);
                } else {
                    forward(c.raw(), Kind.DATA, true);
                }
                break;
            case "BDAT":
                bdat(c);
                break;
            case "AUTH":
                forward(c.raw(), Kind.AUTH, true);
                break;
            case "RSET":
                resetTransaction();
                forward(c.raw(), Kind.OTHER, false);
                break;
            case "QUIT":
                forward(c.raw(), Kind.QUIT, true);
                break;
            case "STARTTLS":
                // Answered here, never tunnelled: a tunnel would hide the envelope (SPEC §2).
                startTls(c);
                break;
            case "XCLIENT":
            case "XFORWARD":
            case "PROXY":
                // Only the proxy may tell the upstream who the client is.
                local(settings.replies().notFromClients(c.verb()));
                break;
            default:
                forward(c.raw(), Kind.OTHER, false);
        }
    }

    /** The client's first HELO or EHLO under XCLIENT: probe the upstream first (see {@link XclientIntroduction}). */
    private void introduce(CommandLine c) {
        Slot s = new Slot(Kind.XCLIENT_PROBE);
        s.greeting = c;
        introducing = xclient;
        xclient = null; // once per session
        if (isEhlo(c)) {
            pendingEhlo = s; // the slot that ends up carrying the client's EHLO reply
        }
        forward(isEhlo(c) ? c.raw() : XclientIntroduction.probe(c.args()), s);
        barrier = s;
    }

    /**
     * A reply in the XCLIENT dialogue. Returns the reply to give the client for its HELO/EHLO, with the slot
     * turned into an ordinary one; or null when the dialogue goes on (the slot waits for the next reply).
     */
    private Reply introductionStep(Slot s, Reply r) {
        if (s.kind == Kind.XCLIENT_PROBE) {
            if (XclientIntroduction.offeredBy(r)) {
                s.kind = Kind.XCLIENT;
                s.probeReply = r;
                awaitingUpstream.addFirst(s);
                introducing.clientName().whenComplete((name, failure) -> sendXclient(s, name));
                return null;
            }
            if (r.code() == 250) {
                XclientIntroduction.notUsed(clientAddress, "the upstream does not offer XCLIENT to this host"
                        + " (Postfix: list it in smtpd_authorized_xclient_hosts)");
            }
            return clientGreeting(s, r);
        }
        if (r.code() / 100 == 2) {
            // Introduced: the upstream greeted the client anew; now the client's own greeting command.
            s.kind = isEhlo(s.greeting) ? Kind.EHLO : Kind.OTHER;
            awaitingUpstream.addFirst(s);
            transport.toUpstream(s.greeting.raw());
            return null;
        }
        XclientIntroduction.notUsed(clientAddress, "the upstream refused XCLIENT: " + r);
        if (r.code() == 421) {
            s.kind = Kind.OTHER;
            return r;
        }
        return clientGreeting(s, s.probeReply);
    }

    /** Without XCLIENT: an EHLO client gets the probe's reply; a HELO client's own HELO is sent now. */
    private Reply clientGreeting(Slot s, Reply probeReply) {
        if (isEhlo(s.greeting)) {
            s.kind = Kind.EHLO;
            return probeReply;
        }
        s.kind = Kind.OTHER;
        awaitingUpstream.addFirst(s);
        transport.toUpstream(s.greeting.raw());
        return null;
    }

    private synchronized void sendXclient(Slot s, String ptrName) {
        if (phase != Phase.CLOSED) {
            transport.toUpstream(XclientIntroduction.command(info.client(), ptrName, helo, isEhlo(s.greeting)));
        }
    }

    private static boolean isEhlo(CommandLine c) {
        return c.verb().equals("EHLO");
    }

    private void startTls(CommandLine c) {
        Reply refusal = clientTls.refusal(c, settings.replies());
        if (refusal != null) {
            local(refusal);
            return;
        }
        // CVE-2011-0411: commands pipelined after STARTTLS were sent in clear; they are thrown away, not run.
        inbox.clear();
        clientTls.starting();
        Slot s = new Slot(Kind.LOCAL);
        s.reply = settings.replies().readyToStartTls();
        s.startTlsAfter = true;
        slots.add(s);
        flush();
    }

    private void rcpt(CommandLine c) {
        Optional<String> recipient = c.pathArgument("TO");
        if (!info.greylisting() || recipient.isEmpty() || sender == null) {
            // Nothing to decide: greylisting is off, or the upstream will refuse the command itself.
            forward(c.raw(), Kind.OTHER, false);
            return;
        }
        String skip = authenticated ? "authenticated" : info.skipReason();
        if (sender.isEmpty() && skip == null) {
            // The null sender is decided at DATA: a verification probe gets the upstream's own answer.
            // A barrier: DATA must not be read before every such RCPT's reply is known.
            Slot slot = new Slot(Kind.RCPT_DEFERRED);
            slot.recipient = recipient.get();
            forward(c.raw(), slot);
            barrier = slot;
            return;
        }
        Slot slot = new Slot(Kind.RCPT);
        slots.add(slot);
        decisionPending = true;
        request(recipient.get(), r -> policy.decide(r, v -> onVerdict(slot, c, recipient.get(), v)));
    }

    /**
     * The request for {@code recipient}: the connection stage's facts (complete, or waited for without
     * blocking), with what this session learnt (HELO, authentication, behaviours) and the envelope.
     */
    private void request(String recipient, java.util.function.Consumer<RcptRequest> then) {
        String from = sender;
        String hello = helo;
        boolean auth = authenticated;
        java.util.Set<Behaviour> shown = behaviours.isEmpty() ? java.util.Set.of() : EnumSet.copyOf(behaviours);
        info.whenFactsKnown(auth, facts -> then.accept(
                facts.withHelo(hello).withBehaviours(shown).withAuthenticated(auth).rcpt(from, recipient)));
    }

    private void resetTransaction() {
        sender = null;
        deferredRecipients.clear();
        transactionRefusal = null;
    }

    /**
     * Null sender: decides every recipient the upstream accepted, one after the other, before DATA (or
     * a BDAT of {@code bdatSize} bytes) may go on. Any refusal answers the command with it.
     */
    private void decideDeferred(CommandLine c, long bdatSize, boolean last) {
        Slot slot = new Slot(bdatSize < 0 ? Kind.DATA : last ? Kind.DATA_END : Kind.BDAT);
        slots.add(slot);
        decisionPending = true;
        java.util.List<String> recipients = java.util.List.copyOf(deferredRecipients);
        deferredRecipients.clear();
        decideNext(recipients, 0, slot, c, bdatSize);
    }

    private void decideNext(java.util.List<String> recipients, int i, Slot slot, CommandLine c, long bdatSize) {
        String rcpt = recipients.get(i);
        request(rcpt, r -> policy.decide(r, v -> onDeferredVerdict(recipients, i, slot, c, bdatSize, rcpt, v)));
    }

    private synchronized void onDeferredVerdict(java.util.List<String> recipients, int i, Slot slot, CommandLine c,
                                                long bdatSize, String rcpt, Verdict v) {
        if (phase == Phase.CLOSED) {
            decisionPending = false;
            return;
        }
        if (v.accepted() && i + 1 < recipients.size()) {
            decideNext(recipients, i + 1, slot, c, bdatSize);
            return;
        }
        decisionPending = false;
        if (v.accepted()) {
            rcptAccepted += recipients.size();
            awaitingUpstream.add(slot);
            transport.toUpstream(c.raw());
            if (bdatSize < 0) {
                barrier = slot; // as any DATA: what follows depends on the 354
            } else {
                startChunk(bdatSize, Phase.BDAT);
            }
        } else {
            rcptRefused++;
            slot.reply = settings.replies().forRefusal(v, rcpt);
            if (bdatSize >= 0) {
                transactionRefusal = slot.reply;
                startChunk(bdatSize, Phase.DISCARDING_CHUNK);
            }
            flush();
        }
        pump();
    }

    private void startChunk(long size, Phase chunkPhase) {
        if (size > 0) {
            bdatRemaining = size;
            phase = chunkPhase;
        }
    }

    private synchronized void onVerdict(Slot slot, CommandLine c, String recipient, Verdict v) {
        decisionPending = false;
        if (phase == Phase.CLOSED) {
            return;
        }
        if (v.accepted()) {
            rcptAccepted++;
            awaitingUpstream.add(slot);
            transport.toUpstream(c.raw());
        } else {
            rcptRefused++;
            slot.reply = settings.replies().forRefusal(v, recipient);
            flush();
        }
        pump();
    }

    private void bdat(CommandLine c) {
        String[] parts = c.args().split("[ \t]+");
        boolean valid = parts.length >= 1 && parts.length <= 2 && parts[0].matches("\\d{1,18}")
                && (parts.length == 1 || parts[1].equalsIgnoreCase("LAST"));
        if (!valid) {
            // The size tells where the chunk ends; without it the stream cannot be followed.
            local(settings.replies().badBdat(), true);
            return;
        }
        long size = Long.parseLong(parts[0]);
        boolean last = parts.length == 2;
        if (!upstreamChunking) {
            // An upstream without CHUNKING would refuse the BDAT and read its chunk as commands: RCPTs and a
            // DATA that no decision has seen. Answered here, and the chunk is skipped as the data it claims to be.
            local(settings.replies().bdatNotOffered());
            startChunk(size, Phase.DISCARDING_CHUNK);
            return;
        }
        if (transactionRefusal != null) {
            // Null sender, refused at an earlier chunk: this one gets the same answer, and its bytes are skipped.
            local(transactionRefusal);
            startChunk(size, Phase.DISCARDING_CHUNK);
        } else if (!deferredRecipients.isEmpty()) {
            decideDeferred(c, size, last);
        } else {
            forward(c.raw(), last ? Kind.DATA_END : Kind.BDAT, false);
            startChunk(size, Phase.BDAT);
        }
        if (last) {
            resetTransaction();
        }
    }

    private void forwardChunk() {
        int n = (int) Math.min(bdatRemaining, inbox.size());
        if (phase == Phase.DISCARDING_CHUNK) {
            inbox.skip(n); // the chunk of a BDAT the proxy refused
        } else {
            transport.toUpstream(inbox.take(n));
        }
        bdatRemaining -= n;
        if (bdatRemaining == 0) {
            phase = Phase.COMMANDS;
        }
    }

    /** DATA text: passed through as it comes, until CRLF.CRLF. */
    private void scanData() {
        int len = inbox.size();
        int end = dataEnd.scan(inbox.array(), inbox.head(), len);
        int n = end < 0 ? len : end - inbox.head();
        if (phase == Phase.DATA && dataEnd.sawAmbiguousEnd()) {
            // The upstream might end the message earlier than we think (SMTP smuggling): abandon it.
            LOG.warn("client {} sent a lone \".\" line with a bare LF ending; message refused, connection closed",
                    clientAddress);
            phase = Phase.REFUSING_DATA;
            upstreamAbandoned = true;
            transport.closeUpstream(true);
        }
        if (phase == Phase.REFUSING_DATA) {
            inbox.skip(n);
            if (end >= 0) {
                local(settings.replies().bareLfEnd(), true);
            }
            return;
        }
        transport.toUpstream(inbox.take(n));
        if (end >= 0) {
            phase = Phase.COMMANDS;
            resetTransaction();
            expect(Kind.DATA_END, false);
        }
    }

    // ---------------------------------------------------------------- upstream replies

    private void onUpstreamReply(Reply r) {
        Slot s = awaitingUpstream.poll();
        if (s == null) {
            // Unsolicited: typically a 421 before the upstream hangs up. Pass it on.
            if (r.code() == 421) {
                upstreamAnnouncedClose = true;
            }
            transport.toClient(r.raw());
            return;
        }
        if (s.kind == Kind.XCLIENT_PROBE || s.kind == Kind.XCLIENT) {
            r = introductionStep(s, r);
            if (r == null) {
                return;
            }
        }
        Reply out = r;
        switch (s.kind) {
            case GREETING:
                phase = Phase.COMMANDS;
                break;
            case EHLO:
                if (pendingEhlo == s) { // not an EHLO that a later HELO or EHLO superseded
                    pendingEhlo = null;
                    upstreamChunking = EhloReplyFilter.offers(r, "CHUNKING");
                }
                out = clientTls.advertise(EHLO_FILTER.filter(r));
                break;
            case RCPT_DEFERRED:
                if (r.isPositive()) {
                    deferredRecipients.add(s.recipient);
                }
                break;
            case DATA:
                if (r.code() == 354) {
                    phase = Phase.DATA;
                    dataEnd.reset();
                }
                break;
            case DATA_END:
                if (r.isPositive()) {
                    messages++;
                }
                break;
            case AUTH:
                if (r.code() == 334) {
                    authContinuation = true;
                } else if (r.code() == 235) {
                    authenticated = true; // SPEC §2: an authenticated session is not greylisted
                }
                break;
            case QUIT:
                s.closeAfter = true;
                upstreamAnnouncedClose = true;
                break;
            default:
                break;
        }
        if (r.isPermanentFailure() && s.kind != Kind.GREETING) {
            behaviours.add(Behaviour.COMMANDERRORS);
        }
        if (r.code() == 421) {
            upstreamAnnouncedClose = true;
            s.closeAfter = true;
        }
        s.reply = out;
        if (barrier == s) {
            barrier = null;
        }
        flush();
    }

    // ---------------------------------------------------------------- replies to the client

    private void forward(byte[] raw, Kind kind, boolean isBarrier) {
        transport.toUpstream(raw);
        expect(kind, isBarrier);
    }

    private void forward(byte[] raw, Slot s) {
        transport.toUpstream(raw);
        slots.add(s);
        awaitingUpstream.add(s);
    }

    private void expect(Kind kind, boolean isBarrier) {
        Slot s = new Slot(kind);
        slots.add(s);
        awaitingUpstream.add(s);
        if (isBarrier) {
            barrier = s;
        }
    }

    /** Queues a reply of the proxy's own, in command order. */
    private void local(Reply r) {
        local(r, false);
    }

    /** Queues a reply of the proxy's own, in command order; with {@code closeAfter} the session ends once it is sent. */
    private void local(Reply r, boolean closeAfter) {
        if (r.isPermanentFailure()) {
            behaviours.add(Behaviour.COMMANDERRORS);
        }
        Slot s = new Slot(Kind.LOCAL);
        s.reply = r;
        s.closeAfter = closeAfter;
        slots.add(s);
        flush();
    }

    private void flush() {
        while (phase != Phase.CLOSED && !slots.isEmpty() && slots.peek().reply != null) {
            Slot s = slots.poll();
            if (s.startTlsAfter) {
                transport.startClientTls(s.reply.raw());
            } else {
                transport.toClient(s.reply.raw());
            }
            if (s.closeAfter) {
                close();
                return;
            }
        }
    }

    /** Ends the session after the replies written so far reach the client. */
    private void close() {
        phase = Phase.CLOSED;
        transport.closeClient();
        transport.closeUpstream(false);
        ended();
    }

    /** Tells the client why and ends the session; the upstream connection is dropped. */
    private void failClient(Reply r) {
        phase = Phase.CLOSED;
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
        logSummary();
    }

    private void logSummary() {
        if (summaryLogged || !LOG.isInfoEnabled()) {
            return;
        }
        summaryLogged = true;
        String name = clientName();
        LOG.info("session end client={} ptr={} helo={} rcpt-accepted={} rcpt-refused={} messages={} bytes={} tls={} duration={}ms",
                clientAddress, name.isEmpty() ? "-" : name,
                helo.isEmpty() ? "-" : printable(helo),
                rcptAccepted, rcptRefused, messages, clientBytes, clientTls.active() ? "yes" : "no",
                (System.nanoTime() - startedNanos) / 1_000_000);
    }

    private String clientName() {
        if (!info.ptrName().isEmpty() || nameLookup == null || !nameLookup.isDone() || nameLookup.isCompletedExceptionally()) {
            return info.ptrName();
        }
        String name = nameLookup.getNow("");
        return name == null ? "" : name;
    }

    /** Client text for the log: anything but printable ASCII becomes '?', so it cannot forge a line. */
    private static String printable(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            b.append(c > 0x20 && c < 0x7f ? c : '?');
        }
        return b.toString();
    }

    private static String describe(Throwable t) {
        String m = t.getMessage();
        return t.getClass().getSimpleName() + (m == null ? "" : ": " + m);
    }
}
