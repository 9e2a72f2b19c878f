package dev.posthorn.policy;

/**
 * What the session knows about a message when its content has ended, for the authentication decision.
 *
 * @param mxPort            received on the MX port (checks apply) rather than a submission port
 * @param authenticatedUser the SASL identity, or null
 * @param sender            the MAIL FROM address, "" for the null reverse-path
 * @param relayed           some recipient is relayed to another host (the message is forwarded)
 */
public record AuthContext(boolean mxPort, String authenticatedUser, String clientIp, String helo, String sender,
                          boolean relayed, String queueId) {

    public AuthContext {
        helo = helo == null ? "" : helo;
        sender = sender == null ? "" : sender;
    }
}
