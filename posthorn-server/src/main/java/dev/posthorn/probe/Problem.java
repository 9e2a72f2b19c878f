package dev.posthorn.probe;

/** Why a probe stopped before it reached its goal; the {@link Diagnosis} turns it into sentences. */
public enum Problem {
    /** The host name has no address. */
    DNS_FAILURE,
    /** The resolver gave no answer within the connect time-out. */
    DNS_TIMEOUT,
    /** Nothing listens: the connection was refused (RST). */
    CONNECTION_REFUSED,
    /** No answer to the connection attempt within the connect time-out. */
    CONNECT_TIMEOUT,
    /** Any other failure to connect: no route, network unreachable. */
    CONNECT_FAILED,
    /** The server did not reply within the reply time-out. */
    REPLY_TIMEOUT,
    /** The server closed the connection instead of replying. */
    CONNECTION_CLOSED,
    /** The server sent something that is not an SMTP reply. */
    NOT_SMTP,
    /** Asked for STARTTLS, and EHLO does not offer it. */
    STARTTLS_NOT_OFFERED,
    /** The TLS handshake failed; {@link ProbeResult#tlsFailure()} says how. */
    TLS_HANDSHAKE,
    /** TLS works, but not as the domain's DANE or MTA-STS policy demands ({@code --dane}, {@code --mta-sts}). */
    TLS_POLICY,
    /** --user was given, and EHLO does not offer AUTH. */
    AUTH_NOT_OFFERED,
    /** AUTH is offered without TLS, and the probe does not send a password in clear. */
    AUTH_NOT_ENCRYPTED,
    /** AUTH is offered, but neither with PLAIN nor with LOGIN. */
    AUTH_NO_MECHANISM,
    /** A command was refused; {@link ProbeResult#failedStep()} and {@link ProbeResult#failingReply()} say which. */
    REFUSED,
    /** Another I/O failure during the session. */
    IO_ERROR
}
