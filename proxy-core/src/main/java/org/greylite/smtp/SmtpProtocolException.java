package org.greylite.smtp;

/** The peer broke the SMTP protocol in a way the proxy cannot follow. */
public final class SmtpProtocolException extends Exception {
    public SmtpProtocolException(String message) {
        super(message);
    }
}
