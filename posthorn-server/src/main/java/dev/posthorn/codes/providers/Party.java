package dev.posthorn.codes.providers;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/** Who must act on a provider's bounce, as a provider file names it ({@code "sender-operator"}). */
public enum Party {
    /** The person who sent the message: fix the address, resend later, ask the recipient another way. */
    SENDER,
    /** Whoever runs the sending server or domain: DNS records, IP reputation, TLS, volume. */
    SENDER_OPERATOR,
    /** The owner of the mailbox: free space, reactivate the account. */
    RECIPIENT,
    /** The administrator of the recipient's domain: their allow and block lists, their policies. */
    RECIPIENT_OPERATOR;

    @JsonValue
    public String key() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    @JsonCreator
    public static Party fromKey(String key) {
        return valueOf(key.toUpperCase(Locale.ROOT).replace('-', '_'));
    }
}
