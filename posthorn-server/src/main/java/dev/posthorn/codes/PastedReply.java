package dev.posthorn.codes;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;

/**
 * The lines of one reply: RFC 5321 §4.2.1 writes a multiline reply as {@code code-} on every line but the last
 * and {@code code SP} on the last, and requires the same code on each line.
 *
 * @param answersHello the paste shows an EHLO or HELO command right before this reply, so it answers it
 */
public record PastedReply(List<ReplyLine> lines, boolean answersHello) {

    public PastedReply {
        lines = List.copyOf(lines);
        if (lines.isEmpty()) {
            throw new IllegalArgumentException("a reply has at least one line");
        }
    }

    public PastedReply(List<ReplyLine> lines) {
        this(lines, false);
    }

    /** The code of the first line, which is the reply's code when the reply is well formed. */
    public String code() {
        return lines.getFirst().code();
    }

    /** The reply codes of the lines, each once, in order: more than one breaks RFC 5321 §4.2.1. */
    public List<String> lineCodes() {
        return distinct(lines.stream().map(ReplyLine::code).toList());
    }

    /** The enhanced codes of the lines, each once, in order. */
    public List<String> enhancedCodes() {
        return distinct(lines.stream().map(ReplyLine::enhanced).filter(Objects::nonNull).toList());
    }

    /** Some lines start with an enhanced code and others do not. */
    public boolean enhancedOnSomeLinesOnly() {
        long with = lines.stream().filter(l -> l.enhanced() != null).count();
        return with > 0 && with < lines.size();
    }

    // A set keeps this linear: a megabyte of pasted lines with distinct codes took minutes with List.contains.
    private static List<String> distinct(List<String> values) {
        return List.copyOf(new LinkedHashSet<>(values));
    }
}
