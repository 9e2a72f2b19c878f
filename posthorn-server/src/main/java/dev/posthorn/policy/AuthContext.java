package dev.posthorn.policy;

import java.util.function.Predicate;

/**
 * What the session knows about a message when its content has ended, for the authentication decision.
 *
 * @param mxPort            received on the MX port (checks apply) rather than a submission port
 * @param authenticatedUser the SASL identity, or null
 * @param sender            the MAIL FROM address, "" for the null reverse-path
 * @param relayed           some recipient is relayed to another host (the message is forwarded)
 * @param mayWriteAs        whether the authenticated user may put this address in From (the sender binding's
 *                          {@code MailPolicy.ownsAddress}): mail is DKIM-signed for a domain only then
 */
public record AuthContext(boolean mxPort, String authenticatedUser, String clientIp, String helo, String sender,
                          boolean relayed, String queueId, Predicate<String> mayWriteAs) {

    public AuthContext {
        helo = helo == null ? "" : helo;
        sender = sender == null ? "" : sender;
        mayWriteAs = mayWriteAs == null ? address -> false : mayWriteAs;
    }
}
