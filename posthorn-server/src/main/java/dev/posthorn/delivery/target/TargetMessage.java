package dev.posthorn.delivery.target;

import java.time.Instant;

/**
 * What a delivery target needs to know of a message: its envelope as the next hop will see it.
 *
 * @param sender    the reverse-path, "" for the null sender of bounces
 * @param eightBit  the body needs 8BITMIME (RFC 6152)
 * @param smtputf8  the message was submitted with SMTPUTF8 (RFC 6531); a target checks whether it really needs it
 * @param ret       "FULL", "HDRS" or null (RFC 3461)
 * @param envid     the ENVID xtext or null
 * @param redelivery an earlier attempt may have delivered it (a restart, a retry): idempotent targets check
 */
public record TargetMessage(String id, Instant receivedAt, String sender, boolean eightBit, boolean smtputf8,
                            String ret, String envid, boolean redelivery) {
}
