package dev.posthorn.policy;

import dev.posthorn.store.DomainStore;
import java.util.Collection;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * The domains this server receives mail for (lower case): those of {@code server.domains} in this node's
 * configuration, and those kept in the store ({@code posthorn domain add}), which every node sharing the
 * store sees as soon as they are added.
 */
public final class HostedDomains {

    private final Set<String> configured;
    private final DomainStore stored;

    /** Configured domains only (tests, embedding without a store). */
    public HostedDomains(Set<String> domains) {
        this(domains, null);
    }

    /** @param stored the store's domains, asked at each look-up; may be null */
    public HostedDomains(Collection<String> configured, DomainStore stored) {
        this.configured = configured.stream().map(d -> d.toLowerCase(Locale.ROOT))
                .collect(Collectors.toUnmodifiableSet());
        this.stored = stored;
    }

    public boolean isHosted(String domain) {
        String key = domain.toLowerCase(Locale.ROOT);
        return configured.contains(key) || (stored != null && stored.hostsDomain(key));
    }

    /** Every hosted domain, sorted. */
    public Set<String> all() {
        Set<String> all = new TreeSet<>(configured);
        if (stored != null) {
            all.addAll(stored.domains());
        }
        return all;
    }

    /**
     * The domain used for {@code <Postmaster>} without a domain: the first configured one, so that it does not
     * change as domains are added to the store; without any, the first stored one.
     */
    public String primary() {
        return configured.stream().sorted().findFirst()
                .or(() -> stored == null ? java.util.Optional.empty() : stored.domains().stream().findFirst())
                .orElse("localhost");
    }
}
