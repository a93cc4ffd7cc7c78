package org.greylite.daemon.tls;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.function.BiFunction;

import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSession;

/**
 * An {@link SSLEngine} that runs the handshake's delegated tasks (checking a certificate, signing, the key
 * exchange) itself, in the {@code wrap} or {@code unwrap} that asked for them, and so never answers
 * {@link HandshakeStatus#NEED_TASK}.
 *
 * <p>Why: MINA's SslFilter hands such tasks to a pool of its own, whose threads then encrypt the handshake's next
 * records and pass them on, and announce the end of the handshake, while the session's I/O thread may pass on
 * records of its own. The filter lets go of its lock before passing records on, so the client's {@code Finished}
 * could reach the socket after the first record of application data that its announcement let through, and the
 * peer fails the handshake ("Tag mismatch"). Run here, on the thread that reads or writes the session (greylited's
 * I/O thread), everything of one session happens on one thread, in order. The cost is the tasks' CPU time on that
 * thread, a millisecond or two per handshake, as in servers that run them inline by default.
 */
public final class InlineTaskEngine extends SSLEngine {

    private final SSLEngine engine;

    /** Wraps {@code engine}, already set up (client or server mode, parameters). */
    public InlineTaskEngine(SSLEngine engine) {
        super(engine.getPeerHost(), engine.getPeerPort());
        this.engine = engine;
    }

    @Override
    public SSLEngineResult wrap(ByteBuffer[] srcs, int offset, int length, ByteBuffer dst) throws SSLException {
        return withTasksRun(engine.wrap(srcs, offset, length, dst));
    }

    @Override
    public SSLEngineResult unwrap(ByteBuffer src, ByteBuffer[] dsts, int offset, int length) throws SSLException {
        return withTasksRun(engine.unwrap(src, dsts, offset, length));
    }

    /** {@code r}, or when it asks for tasks, the same result after they have run, with the status they lead to. */
    private SSLEngineResult withTasksRun(SSLEngineResult r) {
        if (r.getHandshakeStatus() != HandshakeStatus.NEED_TASK) {
            return r;
        }
        return new SSLEngineResult(r.getStatus(), runTasks(), r.bytesConsumed(), r.bytesProduced());
    }

    /** Runs every task the engine has; returns the status after them. */
    private HandshakeStatus runTasks() {
        HandshakeStatus status = engine.getHandshakeStatus();
        while (status == HandshakeStatus.NEED_TASK) {
            Runnable task;
            while ((task = engine.getDelegatedTask()) != null) {
                task.run();
            }
            status = engine.getHandshakeStatus();
        }
        return status;
    }

    /** None: they have run. */
    @Override
    public Runnable getDelegatedTask() {
        return null;
    }

    @Override
    public HandshakeStatus getHandshakeStatus() {
        return runTasks();
    }

    @Override
    public void beginHandshake() throws SSLException {
        engine.beginHandshake();
    }

    @Override
    public void closeInbound() throws SSLException {
        engine.closeInbound();
    }

    @Override
    public boolean isInboundDone() {
        return engine.isInboundDone();
    }

    @Override
    public void closeOutbound() {
        engine.closeOutbound();
    }

    @Override
    public boolean isOutboundDone() {
        return engine.isOutboundDone();
    }

    @Override
    public SSLSession getSession() {
        return engine.getSession();
    }

    @Override
    public SSLSession getHandshakeSession() {
        return engine.getHandshakeSession();
    }

    @Override
    public SSLParameters getSSLParameters() {
        return engine.getSSLParameters();
    }

    @Override
    public void setSSLParameters(SSLParameters params) {
        engine.setSSLParameters(params);
    }

    @Override
    public String[] getSupportedCipherSuites() {
        return engine.getSupportedCipherSuites();
    }

    @Override
    public String[] getEnabledCipherSuites() {
        return engine.getEnabledCipherSuites();
    }

    @Override
    public void setEnabledCipherSuites(String[] suites) {
        engine.setEnabledCipherSuites(suites);
    }

    @Override
    public String[] getSupportedProtocols() {
        return engine.getSupportedProtocols();
    }

    @Override
    public String[] getEnabledProtocols() {
        return engine.getEnabledProtocols();
    }

    @Override
    public void setEnabledProtocols(String[] protocols) {
        engine.setEnabledProtocols(protocols);
    }

    @Override
    public void setUseClientMode(boolean mode) {
        engine.setUseClientMode(mode);
    }

    @Override
    public boolean getUseClientMode() {
        return engine.getUseClientMode();
    }

    @Override
    public void setNeedClientAuth(boolean need) {
        engine.setNeedClientAuth(need);
    }

    @Override
    public boolean getNeedClientAuth() {
        return engine.getNeedClientAuth();
    }

    @Override
    public void setWantClientAuth(boolean want) {
        engine.setWantClientAuth(want);
    }

    @Override
    public boolean getWantClientAuth() {
        return engine.getWantClientAuth();
    }

    @Override
    public void setEnableSessionCreation(boolean flag) {
        engine.setEnableSessionCreation(flag);
    }

    @Override
    public boolean getEnableSessionCreation() {
        return engine.getEnableSessionCreation();
    }

    @Override
    public String getApplicationProtocol() {
        return engine.getApplicationProtocol();
    }

    @Override
    public String getHandshakeApplicationProtocol() {
        return engine.getHandshakeApplicationProtocol();
    }

    @Override
    public void setHandshakeApplicationProtocolSelector(BiFunction<SSLEngine, List<String>, String> selector) {
        engine.setHandshakeApplicationProtocolSelector(selector);
    }

    @Override
    public BiFunction<SSLEngine, List<String>, String> getHandshakeApplicationProtocolSelector() {
        return engine.getHandshakeApplicationProtocolSelector();
    }
}
