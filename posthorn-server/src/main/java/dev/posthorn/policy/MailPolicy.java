package dev.posthorn.policy;

import dev.posthorn.codes.Reply;
import dev.posthorn.codes.ReplyName;
import dev.posthorn.spool.DiskSpace;
import java.io.UncheckedIOException;
import java.util.Locale;
import java.util.Set;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Envelope decisions with reasons: is a recipient ours, may this client relay, does the authenticated user
 * own this sender. Every refusal is a catalogue reply.
 */
public final class MailPolicy {

    private static final Logger LOG = LoggerFactory.getLogger(MailPolicy.class);

    private final HostedDomains domains;
    private final MailboxDirectory mailboxes;
    private final boolean senderBinding;
    private final Set<String> relayDomains;
    private final DiskSpace diskSpace;
    /** Test mode's capture: every recipient is accepted (the mail is kept in memory, never delivered). */
    private final boolean acceptEveryRecipient;

    public MailPolicy(HostedDomains domains, MailboxDirectory mailboxes, boolean senderBinding) {
        this(domains, mailboxes, senderBinding, Set.of());
    }

    /**
     * @param relayDomains domains with a static route ({@code [routes]}): accepted from any client and relayed
     *                     there, like Postfix's relay_domains for a gateway or backup MX. Not an open relay: only
     *                     these domains.
     */
    public MailPolicy(HostedDomains domains, MailboxDirectory mailboxes, boolean senderBinding, Set<String> relayDomains) {
        this(domains, mailboxes, senderBinding, relayDomains, null);
    }

    /** @param diskSpace the spool's free-space check; null: none */
    public MailPolicy(HostedDomains domains, MailboxDirectory mailboxes, boolean senderBinding, Set<String> relayDomains,
            DiskSpace diskSpace) {
        this(domains, mailboxes, senderBinding, relayDomains, diskSpace, false);
    }

    private MailPolicy(HostedDomains domains, MailboxDirectory mailboxes, boolean senderBinding, Set<String> relayDomains,
            DiskSpace diskSpace, boolean acceptEveryRecipient) {
        this.acceptEveryRecipient = acceptEveryRecipient;
        this.diskSpace = diskSpace;
        this.domains = domains;
        this.mailboxes = mailboxes;
        this.senderBinding = senderBinding;
        this.relayDomains = relayDomains.stream().map(d -> d.toLowerCase(Locale.ROOT)).collect(Collectors.toUnmodifiableSet());
    }

    /**
     * This policy with every recipient accepted as local: only for test mode, where accepted mail is captured
     * and nothing is delivered, so no recipient can be relayed anywhere.
     */
    public MailPolicy acceptingEveryRecipient() {
        return new MailPolicy(domains, mailboxes, senderBinding, relayDomains, diskSpace, true);
    }

    public RecipientDecision recipient(Mailbox rcpt, String authenticatedUser) {
        return unlessStoreFails("RCPT " + rcpt.address(), () -> decideRecipient(rcpt, authenticatedUser),
                RecipientDecision.Refused::new);
    }

    private RecipientDecision decideRecipient(Mailbox rcpt, String authenticatedUser) {
        if (acceptEveryRecipient) {
            return new RecipientDecision.Local();
        }
        // RFC 5321 §4.5.1: <Postmaster> without a domain, and postmaster@ every hosted domain, in any case.
        if (rcpt.domain().isEmpty()) {
            return new RecipientDecision.Local();
        }
        if (domains.isHosted(rcpt.domainLowerCase())) {
            if (rcpt.isPostmaster() || mailboxes.exists(rcpt.address())) {
                return new RecipientDecision.Local();
            }
            return new RecipientDecision.Refused(ReplyName.USER_UNKNOWN.reply(rcpt.address()));
        }
        if (authenticatedUser != null || relayDomains.contains(rcpt.domainLowerCase())) {
            return new RecipientDecision.Relay();
        }
        return new RecipientDecision.Refused(ReplyName.RELAY_DENIED.reply(rcpt.address()));
    }

    /**
     * RFC 6409 §6.1 (on by default, A-20): an authenticated user may send only as its own addresses and
     * aliases. The null reverse-path stays allowed (RFC 6409 §3.2). Returns null when the sender is fine.
     */
    public Reply sender(Mailbox sender, String authenticatedUser) {
        return unlessStoreFails("MAIL FROM " + (sender == null ? "<>" : sender.address()),
                () -> sender == null || ownsAddress(authenticatedUser, sender.address())
                        ? null : ReplyName.SENDER_NOT_OWNED.reply(),
                reply -> reply);
    }

    /**
     * RFC 6409 §6.1 for the header: every mailbox in {@code From:} and {@code Sender:} must be the user's. A
     * header that cannot be read, or that is larger than the server examines, is refused rather than let
     * through unchecked. A message without {@code From:} claims no author and passes. Null when fine.
     */
    public Reply headerSenders(HeaderFrom.Result header, String authenticatedUser) {
        return headerSenders(() -> header, authenticatedUser);
    }

    /**
     * As above, with the header read only when binding applies (it is on and the client authenticated): an
     * unauthenticated client must not be able to make the server parse From: for nothing.
     */
    public Reply headerSenders(Supplier<HeaderFrom.Result> headerReader, String authenticatedUser) {
        if (!senderBinding || authenticatedUser == null) {
            return null;
        }
        return unlessStoreFails("the header senders of " + authenticatedUser,
                () -> checkHeaderSenders(headerReader, authenticatedUser), reply -> reply);
    }

    private Reply checkHeaderSenders(Supplier<HeaderFrom.Result> headerReader, String authenticatedUser) {
        return switch (headerReader.get()) {
            case HeaderFrom.Absent absent -> null;
            case HeaderFrom.Unexamined unexamined -> ReplyName.HEADER_TOO_LARGE_TO_CHECK.reply();
            case HeaderFrom.Malformed malformed -> ReplyName.HEADER_SENDER_UNREADABLE.reply(malformed.reason());
            case HeaderFrom.Mailboxes mailboxes -> {
                if (!mailboxes.all().stream().allMatch(a -> ownsMailbox(authenticatedUser, a))) {
                    yield ReplyName.SENDER_NOT_OWNED.reply();
                }
                // "ceo@victim.example" <alice@example.test>: binding checked alice, the reader shows the CEO.
                if (mailboxes.all().stream().anyMatch(HeaderFrom.Address::spoofingName)) {
                    yield ReplyName.HEADER_SENDER_UNREADABLE.reply("a display name looks like another address");
                }
                yield null;
            }
        };
    }

    /**
     * Compared part by part: a quoted local part may hold an {@code @} ({@code "alice@example.com"@evil}), which
     * no address of ours does, so such a mailbox is never owned whatever the joined string looks like.
     */
    private boolean ownsMailbox(String authenticatedUser, HeaderFrom.Address address) {
        if (address.localPart().isEmpty() || address.localPart().indexOf('@') >= 0) {
            return false;
        }
        return ownsAddress(authenticatedUser, address.address());
    }

    public boolean ownsAddress(String authenticatedUser, String address) {
        return !senderBinding || authenticatedUser == null || isAddressOf(authenticatedUser, address);
    }

    /**
     * The user's own address or alias, whatever sender binding says: what a DKIM signature may vouch for. With
     * binding off a user may send as anyone, but the server's signature still claims only what it knows.
     */
    public boolean isAddressOf(String authenticatedUser, String address) {
        return mailboxes.addressesOf(authenticatedUser).contains(address.toLowerCase(Locale.ROOT));
    }

    /**
     * RFC 1870 §6.1, RFC 5321 §4.5.3.1.10: {@code 452 4.3.1} when the spool's file system has less free space
     * than the configured minimum, counting {@code declaredSize} more (the SIZE= of MAIL, or 0). Null when
     * there is room.
     */
    public Reply storage(long declaredSize) {
        return diskSpace == null || diskSpace.hasRoomFor(declaredSize) ? null
                : ReplyName.INSUFFICIENT_STORAGE.reply();
    }

    /**
     * A directory that cannot be read (the database down or stuck, the users file unreadable) is this command's
     * temporary failure, {@code 451 4.3.0} (RFC 5321 §4.2.5: the client tries again later), not the session's:
     * one log line, no stack trace, and the session goes on.
     */
    private static <T> T unlessStoreFails(String what, Supplier<T> decision, java.util.function.Function<Reply, T> failed) {
        try {
            return decision.get();
        } catch (UncheckedIOException e) {
            LOG.warn("{}: directory unavailable, answered 451: {}", what, e.getMessage());
            return failed.apply(ReplyName.LOCAL_ERROR.reply());
        }
    }

    /** Where {@code <Postmaster>} without a domain is delivered. */
    public String primaryDomain() {
        return domains.primary();
    }
}
