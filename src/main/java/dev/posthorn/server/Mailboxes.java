package dev.posthorn.server;

import dev.posthorn.policy.MailboxDirectory;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Set;
import java.util.function.Function;

/** Adapts the user store to what policy and delivery need. */
final class Mailboxes {

    private Mailboxes() {
    }

    static MailboxDirectory open(Path dataDir) {
        // Replaced by the user store when it lands: until then only postmaster@ hosted domains exist.
        return new MailboxDirectory() {
            @Override
            public boolean exists(String address) {
                return false;
            }

            @Override
            public Set<String> addressesOf(String account) {
                return Set.of(account.toLowerCase(Locale.ROOT));
            }
        };
    }

    /** The account whose mailbox receives mail for an address or alias. */
    static Function<String, String> owner(MailboxDirectory mailboxes) {
        return address -> address.toLowerCase(Locale.ROOT);
    }
}
