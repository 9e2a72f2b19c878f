package dev.posthorn.store;

import java.util.List;

/**
 * Hosted domains kept in the store ({@code posthorn domain add}), beside those of {@code server.domains} in
 * each node's configuration. Names are lower case.
 */
public interface DomainStore {

    /** The stored domains, sorted. */
    List<String> domains();

    /** True when the domain (any case) is stored; false for malformed names. */
    boolean hostsDomain(String domain);

    /**
     * Adds a domain; false when it was there already (so seeding the configured domains is idempotent).
     *
     * @throws IllegalArgumentException if the name is not a domain name
     */
    boolean addDomain(String domain);

    /**
     * Removes a stored domain. Accounts in it are kept: mail for them is refused until the domain is hosted
     * again.
     *
     * @throws UserStoreException if the domain is not stored
     */
    void deleteDomain(String domain);
}
