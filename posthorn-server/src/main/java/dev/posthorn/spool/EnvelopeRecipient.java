package dev.posthorn.spool;

import java.util.Set;

/**
 * One recipient of a queued message with its DSN parameters (RFC 3461): {@code notifyOn} is empty when NOTIFY
 * was not given, else NEVER or a subset of SUCCESS, FAILURE, DELAY; {@code orcpt} is the raw ORCPT value.
 * {@code local} is true when it is delivered to a mailbox hosted here.
 */
public record EnvelopeRecipient(String address, Set<String> notifyOn, String orcpt, boolean local) {
}
