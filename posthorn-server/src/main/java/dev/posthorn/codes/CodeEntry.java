package dev.posthorn.codes;

import java.util.List;

/**
 * One code explained in one language. For an enhanced code the class is already applied:
 * the entry for {@code 4.2.2} and the one for {@code 5.2.2} share the facts and words of {@code X.2.2}.
 *
 * @param code       as the user sees it: {@code 530} or {@code 5.7.0}
 * @param key        as the data stores it: {@code 530} or {@code X.7.0}
 * @param replyClass the first digit, with its meaning
 */
public record CodeEntry(String code, String key, ReplyClass replyClass, CodeFacts facts, CodeText text) {

    public boolean isEnhanced() {
        return key.startsWith("X.");
    }

    /** The subject digit of an enhanced code (RFC 3463 §2): 7 for security or policy. */
    public int subject() {
        return Integer.parseInt(key.split("\\.")[1]);
    }

    public String title() {
        return text.title();
    }

    public List<Phase> phases() {
        return facts.phases();
    }

    /** Success needs nobody; otherwise the data says who must act. */
    public Actor actor() {
        return replyClass == ReplyClass.POSITIVE_COMPLETION ? Actor.NOBODY : facts.actor();
    }

    /** For enhanced codes the class decides except for permanent failures, where the data refines it. */
    public Retry retry() {
        if (!isEnhanced()) {
            return facts.retry();
        }
        return switch (replyClass) {
            case POSITIVE_COMPLETION -> Retry.NONE;
            case POSITIVE_INTERMEDIATE -> Retry.CONTINUE;
            case TRANSIENT_NEGATIVE -> Retry.LATER;
            case PERMANENT_NEGATIVE -> facts.retry();
        };
    }

    /**
     * True for a class the IANA registry associates with the code but the defining RFC's description rules
     * out, such as 4.1.1 (RFC 3463 §3.2: "only useful for permanent failures"; the registry lists 451).
     */
    public boolean outsideClassRule() {
        return facts.classRule() != null && !facts.classRule().allows(replyClass.digit());
    }

    public List<Reference> references() {
        return facts.rfc().stream().map(Reference::new).toList();
    }
}
