package dev.posthorn.queue;

import java.time.Instant;
import java.util.List;

/**
 * One delivery attempt for one recipient, as {@code posthorn queue show} prints it: when, through which
 * destination and host, the full reply (every line; synthesised for a local failure) and what it means. New
 * facts about an attempt (the TLS level, say) are new components; old state files simply lack them.
 *
 * @param destination "maildir", "lmtp:...", "route:host:port", "mx:domain", "relay:host:port"
 * @param remoteHost  the host or mailbox that answered, null when none did (DNS failure, refused connection)
 * @param outcome     "delivered", "deferred", "bounced" or "expired"
 * @param tls         the transport security and the record that decided it ("dane (TLSA _25._tcp.mx 3 1 1 ab12…)"),
 *                    null when no SMTP connection was tried (local delivery, DNS failure) or for attempts recorded
 *                    before it was kept
 * @param ownReply    the reply is Posthorn's own about {@code remoteHost} (a TLS policy that host does not meet), not
 *                    what that server answered: a notice built from this attempt names no Remote-MTA (RFC 3464
 *                    §2.3.6); false in old saved states
 */
public record Attempt(Instant at, String destination, String remoteHost, int code, String enhanced, List<String> reply,
                      String explanation, String outcome, String tls, boolean ownReply) {

    public Attempt(Instant at, String destination, String remoteHost, int code, String enhanced, List<String> reply,
                   String explanation, String outcome) {
        this(at, destination, remoteHost, code, enhanced, reply, explanation, outcome, null, false);
    }
}
