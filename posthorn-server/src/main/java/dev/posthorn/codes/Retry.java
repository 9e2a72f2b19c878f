package dev.posthorn.codes;

import com.fasterxml.jackson.annotation.JsonCreator;
import java.util.Locale;

/** What repeating the request achieves. Separate from the class: a 5xx may be fixed by the client at once. */
public enum Retry {
    /** Success: there is nothing to repeat. */
    NONE,
    /** An intermediate reply: the client sends the next part (message text, AUTH response). */
    CONTINUE,
    /** The same request, unchanged, may succeed later. */
    LATER,
    /** The client can change the request itself and send it again right away. */
    CHANGED,
    /** Repeating helps only after a person fixes the cause. */
    AFTER_FIX;

    public String key() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    @JsonCreator
    public static Retry fromKey(String key) {
        return valueOf(key.toUpperCase(Locale.ROOT).replace('-', '_'));
    }
}
