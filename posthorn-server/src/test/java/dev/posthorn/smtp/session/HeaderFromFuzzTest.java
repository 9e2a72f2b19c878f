package dev.posthorn.smtp.session;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.posthorn.policy.HeaderFrom;
import dev.posthorn.policy.HostedDomains;
import dev.posthorn.policy.MailPolicy;
import dev.posthorn.policy.MailboxDirectory;
import java.util.Locale;
import java.util.Set;

/**
 * Coverage-guided fuzzing of the sender binding's header reading: the strict header scanner and the RFC 5322
 * From:/Sender: parser. Whatever the header, the verdict comes without an exception (a stack overflow in the
 * parser included), it does not depend on how the bytes were split into writes (BDAT chunks, network reads),
 * and a header that binding lets through names only alice's own address. Regression inputs in
 * {@code HeaderFromFuzzTestInputs/}; {@code JAZZER_FUZZ=1} fuzzes.
 */
class HeaderFromFuzzTest {

    private static final MailPolicy POLICY = new MailPolicy(new HostedDomains(Set.of("posthorn.test")),
            new MailboxDirectory() {
                @Override
                public boolean exists(String address) {
                    return address.equalsIgnoreCase("alice@posthorn.test");
                }

                @Override
                public Set<String> addressesOf(String account) {
                    return Set.of("alice@posthorn.test");
                }
            }, true);

    @FuzzTest(maxDuration = "3m")
    void theVerdictNeverThrowsAndDoesNotDependOnHowTheHeaderArrives(FuzzedDataProvider data) {
        int cut = data.consumeInt(0, 4096);
        byte[] header = data.consumeRemainingAsBytes();
        HeaderScanner whole = new HeaderScanner();
        for (byte b : header) {
            whole.accept(b);
        }
        HeaderScanner split = new HeaderScanner();
        for (int i = 0; i < header.length; i++) {
            split.accept(header[i]);
            if (i == Math.min(cut, header.length - 1)) {
                split.senders(); // asked after a chunk, as BDAT does: must not disturb the rest
            }
        }
        HeaderFrom.Result verdict = whole.senders();
        if (!verdict.equals(split.senders())) {
            throw new AssertionError("the verdict depends on the split: " + verdict + " vs " + split.senders());
        }
        if (POLICY.headerSenders(verdict, "alice@posthorn.test") == null
                && verdict instanceof HeaderFrom.Mailboxes mailboxes) {
            for (HeaderFrom.Address address : mailboxes.all()) {
                if (!address.address().toLowerCase(Locale.ROOT).equals("alice@posthorn.test")) {
                    throw new AssertionError("binding let through " + address);
                }
            }
        }
    }
}
