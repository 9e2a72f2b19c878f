package dev.posthorn.codes;

import java.util.Map;

/**
 * The words for one code in one language, from {@code codes/lang/<lang>.json}.
 *
 * @param meaning what the code says, in plain words
 * @param when    when a client meets it: which command, which port, which situation
 * @param use     when a server should send it, for "When to use which"
 * @param fix     what to do, per audience, or {@link Audience#ALL} when the advice does not differ
 */
public record CodeText(String title, String meaning, String when, String use, Map<Audience, String> fix) {

    public CodeText {
        fix = fix == null ? Map.of() : Map.copyOf(fix);
    }
}
