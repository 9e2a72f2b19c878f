package dev.posthorn.policy;

import java.util.Set;

/** The mailboxes Posthorn hosts, as policy needs them. Implemented over the user store. */
public interface MailboxDirectory {

    /** True when the address (case-insensitive) is an account or an alias. */
    boolean exists(String address);

    /** The addresses an authenticated account may send as: its own and its aliases, lower case. */
    Set<String> addressesOf(String account);
}
