package dev.posthorn.queue;

import java.time.Instant;
import java.util.List;

/**
 * One delivery attempt for one recipient, as {@code posthorn queue show} prints it: when, which host,
 * the remote's full reply (every line) and what it means.
 *
 * @param remoteHost null when no server answered (DNS failure, refused connection)
 * @param outcome    "delivered", "deferred" or "bounced"
 * @param tls        the transport security and the record that decided it ("dane (TLSA _25._tcp.mx 3 1 1 ab12…)"),
 *                   null when no connection was tried or for attempts recorded before it was kept
 */
public record Attempt(Instant at, String remoteHost, int code, String enhanced, List<String> reply, String explanation,
                      String outcome, String tls) {

    public Attempt(Instant at, String remoteHost, int code, String enhanced, List<String> reply, String explanation,
                   String outcome) {
        this(at, remoteHost, code, enhanced, reply, explanation, outcome, null);
    }
}
