package dev.posthorn.smtp.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import dev.posthorn.policy.Mailbox;
import org.junit.jupiter.api.Test;

/**
 * SMTP-CONFORMANCE L-2 for the envelope: repeated recipients are delivered once, but only addresses that are
 * really the same collapse. Domains are case-insensitive; local parts only for hosted (local) recipients.
 */
class RecipientIdentityTest {

    private static Transaction.Recipient recipient(String local, String domain, boolean isLocal) {
        return new Transaction.Recipient(new Mailbox(local, domain), RcptParameters.NONE, isLocal);
    }

    @Test
    void l2_hostedAddressesDifferingInCaseAreOneRecipient() {
        Transaction t = new Transaction(null, MailParameters.NONE);
        t.addRecipient(recipient("postmaster", "posthorn.test", true));
        t.addRecipient(recipient("PostMaster", "POSTHORN.test", true));
        assertThat(t.recipients()).hasSize(1);
        assertThat(t.acceptedRcptCommands()).isEqualTo(2);
    }

    @Test
    void l2_remoteLocalPartsKeepTheirCase() {
        Transaction t = new Transaction(null, MailParameters.NONE);
        t.addRecipient(recipient("Alice", "remote.example", false));
        t.addRecipient(recipient("alice", "remote.example", false));
        t.addRecipient(recipient("alice", "REMOTE.example", false));
        assertThat(t.recipients()).extracting(r -> r.mailbox().localPart()).containsExactly("Alice", "alice");
    }
}
