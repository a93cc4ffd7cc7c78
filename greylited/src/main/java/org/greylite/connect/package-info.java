/**
 * What greylited knows and decides when a client connects, before the first SMTP byte: the access file
 * (tcprules' text format: who is refused, who gets {@code RELAYCLIENT} or other variables) and the client's
 * PTR name (looked up in the background, confirmed by a forward lookup) and its DNS whitelist listing.
 *
 * <p>The access decision is taken synchronously at connect time, from memory. The PTR lookup never delays
 * the greeting: it starts when the client connects and only a RCPT decision that arrives before it is done
 * waits for it, without holding a thread: {@link org.greylite.connect.ConnectionFacts} gathers what the
 * stage learns into the facts every decision of the session starts from.
 */
package org.greylite.connect;
