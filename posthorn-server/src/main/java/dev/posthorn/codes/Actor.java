package dev.posthorn.codes;

import com.fasterxml.jackson.annotation.JsonCreator;
import java.util.Locale;

/** Who has to do something before mail can flow again after this code. */
public enum Actor {
    /** Nothing went wrong, or the condition clears by itself. */
    NOBODY,
    /** The person sending: fix an address, a password, the mail program's settings. */
    USER,
    /** Whoever wrote or configured the SMTP client software. */
    DEVELOPER,
    /** The operator of a mail server: the one that replied, or the sender's own for DNS and policy records. */
    OPERATOR,
    /** The owner of the recipient mailbox (full, disabled). */
    RECIPIENT;

    public String key() {
        return name().toLowerCase(Locale.ROOT);
    }

    @JsonCreator
    public static Actor fromKey(String key) {
        return valueOf(key.toUpperCase(Locale.ROOT));
    }
}
