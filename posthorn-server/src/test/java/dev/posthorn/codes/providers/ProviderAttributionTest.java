package dev.posthorn.codes.providers;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** A provider's advice is shown only for that provider's bounce, and for its common real wordings. */
class ProviderAttributionTest {

    private static final ProviderCatalogue CATALOGUE = ProviderCatalogue.bundled();

    @Test
    void otherServersRepliesWithTheSameCodeAndACommonWordAreNotGmail() {
        for (String line : new String[] {
                "552 5.2.2 <bob@example.net>: Recipient address rejected: Mailbox over quota",
                "452 4.2.2 Mailbox over quota (in reply to RCPT TO command)",
                "550 5.7.27 SPF check failed for example.org",
                "451 4.7.23 Client host rejected: cannot find your hostname (no PTR)",
                "550 5.7.30 DKIM failed",
                "550 5.7.32 Sender domain is not aligned with DKIM d= domain"}) {
            assertThat(CATALOGUE.recognise(line)).as(line).isEmpty();
        }
    }

    @Test
    void gmailsUnsolicitedRateBouncesWithTheirOlderCodesAreRecognised() {
        String deferred = "421-4.7.0 [192.0.2.80 15] Our system has detected an unusual rate of\n"
                + "421-4.7.0 unsolicited mail originating from your IP address. To protect our\n"
                + "421-4.7.0 users from spam, mail sent from your IP address has been temporarily\n"
                + "421 4.7.0 rate limited. p4si3522070uam.9 - gsmtp";
        String refused = "550-5.7.1 [192.0.2.80 1] Our system has detected an unusual rate of\n"
                + "550-5.7.1 unsolicited mail originating from your IP address. To protect our\n"
                + "550-5.7.1 users from spam, mail sent from your IP address has been blocked.\n"
                + "550 5.7.1 https://support.google.com/mail/?p=UnsolicitedIPError s25si6573124wmj.54 - gsmtp";
        assertThat(CATALOGUE.recognise(deferred)).as(deferred).isNotEmpty();
        assertThat(CATALOGUE.recognise(refused)).as(refused).isNotEmpty();
    }
}
