package dev.posthorn.mailauth.dkim;

/** Which body hash a signature needs: the canonicalization and the {@code l=} limit (-1 for none). */
public record BodyHashSpec(boolean relaxed, long limit) {

    /** What every signature Posthorn makes uses (relaxed, whole body). */
    public static final BodyHashSpec RELAXED = new BodyHashSpec(true, -1);
}
