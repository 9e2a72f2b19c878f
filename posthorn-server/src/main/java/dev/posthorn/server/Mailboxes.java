package dev.posthorn.server;

import dev.posthorn.auth.CredentialStore;
import dev.posthorn.policy.MailboxDirectory;
import dev.posthorn.store.UserStore;
import java.util.Locale;
import java.util.Set;
import java.util.function.Function;

/** Adapts the user store (and an optional passwd-file) to what policy and delivery need. */
final class Mailboxes implements MailboxDirectory {

    private final UserStore users;
    private final CredentialStore credentials;

    Mailboxes(UserStore users, CredentialStore credentials) {
        this.users = users;
        this.credentials = credentials;
    }

    @Override
    public boolean exists(String address) {
        return users.exists(address);
    }

    /** Sender binding: the account's own address and aliases (or a passwd-file user's own name). */
    @Override
    public Set<String> addressesOf(String account) {
        return credentials.addressesOf(account);
    }

    /** The account whose mailbox receives mail for an address or alias. */
    Function<String, String> owner() {
        return address -> users.accountFor(address).orElse(address.toLowerCase(Locale.ROOT));
    }
}
