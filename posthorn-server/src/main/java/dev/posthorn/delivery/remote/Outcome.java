package dev.posthorn.delivery.remote;

import dev.posthorn.delivery.security.TlsSecurity;

/**
 * What happened to one recipient in one delivery attempt.
 *
 * @param remoteHost the host that gave the reply ("mx.remote.test [192.0.2.1]"), or null when no server answered
 * @param remoteDsn  the remote offered DSN, so NOTIFY went on with the message (RFC 3461 §5.2.1) and any
 *                   success notice is its job; otherwise a requested NOTIFY=SUCCESS gets a "relayed" DSN from us
 * @param security   the transport security of the attempt (level, deciding record, failure), or null when no
 *                   connection was tried (DNS failure, null MX)
 * @param ownReply   the reply is Posthorn's own about {@code remoteHost} (a TLS policy it does not meet), not what
 *                   that server answered: a DSN must not present it as the server's SMTP reply (RFC 3464 §2.3.6)
 */
public record Outcome(Kind kind, RemoteReply reply, String remoteHost, boolean remoteDsn, TlsSecurity security,
                      boolean ownReply) {

    public Outcome(Kind kind, RemoteReply reply, String remoteHost, boolean remoteDsn, TlsSecurity security) {
        this(kind, reply, remoteHost, remoteDsn, security, false);
    }

    /** Posthorn refuses {@code remoteHost}, a server it talked to, for a TLS policy: deferred with its own reply. */
    public static Outcome refused(RemoteReply reply, String remoteHost, TlsSecurity security) {
        return new Outcome(Kind.DEFERRED, reply, remoteHost, false, security, true);
    }

    public Outcome(Kind kind, RemoteReply reply, String remoteHost) {
        this(kind, reply, remoteHost, false, null);
    }

    public Outcome(Kind kind, RemoteReply reply, String remoteHost, boolean remoteDsn) {
        this(kind, reply, remoteHost, remoteDsn, null);
    }

    public enum Kind {
        DELIVERED,
        /** Try again later: a 4xx reply, a timeout, a refused connection, a DNS failure. */
        DEFERRED,
        /** Give up now: a 5xx reply, a null MX, a domain that does not exist. */
        FAILED
    }

    public static Outcome fromReply(RemoteReply reply, String remoteHost, boolean remoteDsn) {
        return fromReply(reply, remoteHost, remoteDsn, null);
    }

    public static Outcome fromReply(RemoteReply reply, String remoteHost, boolean remoteDsn, TlsSecurity security) {
        Kind kind = reply.positive() ? Kind.DELIVERED : reply.transientFailure() ? Kind.DEFERRED : Kind.FAILED;
        return new Outcome(kind, reply, remoteHost, remoteDsn, security);
    }

    public Outcome withSecurity(TlsSecurity s) {
        return new Outcome(kind, reply, remoteHost, remoteDsn, s, ownReply);
    }
}
