package dev.posthorn.codes;

import java.util.List;
import java.util.Objects;

/**
 * What is true of a code in every language, from {@code codes/catalogue.json}: where it turns up,
 * who must act, what retrying does, the RFC sections that define it, and related codes.
 *
 * @param classes   for an enhanced code ({@code X.y.z}), the class digits the tools accept it with: those the
 *                  defining RFC's description allows, widened by the classes of the IANA registry's associated
 *                  basic codes; null for a basic code, whose first digit is its class
 * @param classRule for an enhanced code whose defining RFC limits its class, that limit and its source; else null
 * @param retry   for an enhanced code, the advice when it comes as a permanent failure (class 5);
 *                class 2 means nothing to retry and class 4 means try later
 */
public record CodeFacts(List<Phase> phases, Actor actor, Retry retry, List<Integer> classes,
                        ClassRule classRule, List<String> rfc, List<String> related) {

    public CodeFacts {
        phases = List.copyOf(Objects.requireNonNull(phases, "phases"));
        Objects.requireNonNull(actor, "actor");
        Objects.requireNonNull(retry, "retry");
        classes = classes == null ? null : List.copyOf(classes);
        rfc = List.copyOf(Objects.requireNonNull(rfc, "rfc"));
        related = List.copyOf(Objects.requireNonNull(related, "related"));
    }
}
