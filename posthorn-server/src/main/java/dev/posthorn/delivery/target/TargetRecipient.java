package dev.posthorn.delivery.target;

import java.util.Set;

/**
 * One recipient handed to a target.
 *
 * @param index    its position in the message's envelope: with the queue id it names the recipient for good
 *                 (Maildir file names are derived from both, so a repeated delivery finds its earlier copy)
 * @param notifyOn empty for the default, else NEVER or a subset of SUCCESS, FAILURE, DELAY (RFC 3461)
 * @param orcpt    the ORCPT parameter as given, or null
 */
public record TargetRecipient(String address, int index, Set<String> notifyOn, String orcpt) {

    public TargetRecipient {
        notifyOn = Set.copyOf(notifyOn);
    }
}
