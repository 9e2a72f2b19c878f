package dev.posthorn.policy;

import dev.posthorn.codes.Reply;

/**
 * The outcome of the authentication step: header fields to put on top of the stored message (signatures, ARC
 * set, Authentication-Results; "" for none) as octets, one char per octet (ISO-8859-1), or a refusal from the
 * catalogue instead.
 */
public record AuthDecision(String prependFields, Reply refusal) {

    public static final AuthDecision NOTHING = new AuthDecision("", null);

    public static AuthDecision refuse(Reply reply) {
        return new AuthDecision("", reply);
    }
}
