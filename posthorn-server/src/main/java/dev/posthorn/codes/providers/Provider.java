package dev.posthorn.codes.providers;

import java.util.List;
import java.util.Objects;

/**
 * A mailbox provider and its documented bounces: one file {@code codes/providers/<id>.json}.
 *
 * @param domains the domains whose mail it hosts, so a reader knows whether it applies
 * @param links   its pages for senders: guidelines, postmaster tools, delisting
 */
public record Provider(String id, String name, List<String> domains, List<Link> links, List<ProviderEntry> entries) {

    public Provider {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(name, "name of " + id);
        domains = domains == null ? List.of() : List.copyOf(domains);
        links = links == null ? List.of() : List.copyOf(links);
        entries = List.copyOf(Objects.requireNonNull(entries, "entries of " + id));
    }
}
