package dev.posthorn.codes;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/** Whom a piece of "how to fix" advice is for; {@code ALL} when the advice does not differ. */
public enum Audience {
    ALL, USER, DEVELOPER, OPERATOR;

    @JsonValue
    public String key() {
        return name().toLowerCase(Locale.ROOT);
    }

    @JsonCreator
    public static Audience fromKey(String key) {
        return valueOf(key.toUpperCase(Locale.ROOT));
    }
}
