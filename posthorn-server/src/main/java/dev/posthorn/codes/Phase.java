package dev.posthorn.codes;

import com.fasterxml.jackson.annotation.JsonCreator;
import java.util.Locale;

/**
 * Where in an SMTP exchange a code turns up. Stored per code in {@code codes/catalogue.json} so that
 * {@link Comparison} can say "220 comes at the greeting, 530 answers MAIL" from data, not prose.
 */
public enum Phase {
    CONNECTION, EHLO, STARTTLS, AUTH, MAIL, RCPT, DATA, QUIT, OTHER, ANY, DELIVERY;

    /** True for the phases that are one command's reply (MAIL FROM, RCPT TO, ...), as opposed to AUTH or a bounce. */
    public boolean isCommand() {
        return switch (this) {
            case EHLO, STARTTLS, MAIL, RCPT, DATA, QUIT, OTHER -> true;
            case CONNECTION, AUTH, ANY, DELIVERY -> false;
        };
    }

    /** The key in the data files and in the language files' labels: {@code phase.<key>}. */
    public String key() {
        return name().toLowerCase(Locale.ROOT);
    }

    @JsonCreator
    public static Phase fromKey(String key) {
        return valueOf(key.toUpperCase(Locale.ROOT));
    }
}
