package org.greylite.config;

import org.greylite.text.ClientText;

import ch.qos.logback.classic.pattern.ClassicConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;

/**
 * {@code %printableMsg} in the programs' logback patterns: the message, with every character that could end the line,
 * start an escape sequence or turn the line around shown as {@code '?'} ({@link ClientText#printable(String)}), so
 * that each message is one line of the log, whatever it quotes.
 *
 * <p>The fields of the decision and session lines are made printable where they are written, but a message may also
 * quote text that came from outside through a library's exception: the JDK's TLS code puts the server name a client
 * sent in its hello, line breaks and all, in the message of the exception that refuses it. Checking each such call
 * would leave the next one unchecked; the log's writer checks them all. A message that needs nothing (all of them
 * but these) is written as it is, without a copy. A stack trace logged with a failure stays as it is, lines and all.
 */
public final class PrintableMessageConverter extends ClassicConverter {

    @Override
    public String convert(ILoggingEvent event) {
        String message = event.getFormattedMessage();
        return message == null ? null : ClientText.printable(message);
    }
}
