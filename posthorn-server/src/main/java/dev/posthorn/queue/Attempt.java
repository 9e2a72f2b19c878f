package dev.posthorn.queue;

import java.time.Instant;
import java.util.List;

/**
 * One delivery attempt for one recipient, as {@code posthorn queue show} prints it: when, which host,
 * the remote's full reply (every line) and what it means.
 *
 * @param remoteHost null when no server answered (DNS failure, refused connection)
 * @param outcome    "delivered", "deferred" or "bounced"
 */
public record Attempt(Instant at, String remoteHost, int code, String enhanced, List<String> reply, String explanation,
                      String outcome) {
}
