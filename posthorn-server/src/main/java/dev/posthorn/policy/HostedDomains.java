package dev.posthorn.policy;

import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/** The domains this server receives mail for (lower case). */
public final class HostedDomains {

    private final Set<String> domains;

    public HostedDomains(Set<String> domains) {
        this.domains = domains.stream().map(d -> d.toLowerCase(Locale.ROOT)).collect(Collectors.toUnmodifiableSet());
    }

    public boolean isHosted(String domain) {
        return domains.contains(domain.toLowerCase(Locale.ROOT));
    }

    public Set<String> all() {
        return domains;
    }

    /** The domain used for {@code <Postmaster>} without a domain: the first hosted one. */
    public String primary() {
        return domains.stream().sorted().findFirst().orElse("localhost");
    }
}
