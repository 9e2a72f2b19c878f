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

    /**
     * The From: and Sender: addresses as Angus Mail reads the header, normalised for comparison (route dropped,
     * quotes of the local part removed, lower case); none when it cannot read a field (no opinion then).
     */
    static java.util.List<String> angusAddresses(byte[] header) {
        java.util.List<String> found = new java.util.ArrayList<>();
        try {
            jakarta.mail.internet.InternetHeaders headers =
                    new jakarta.mail.internet.InternetHeaders(new java.io.ByteArrayInputStream(header), true);
            for (String name : new String[] {"From", "Sender"}) {
                String[] values = headers.getHeader(name);
                if (values == null) {
                    continue;
                }
                for (String value : values) {
                    for (jakarta.mail.internet.InternetAddress a
                            : jakarta.mail.internet.InternetAddress.parseHeader(value, true)) {
                        found.add(normalised(a.getAddress()));
                    }
                }
            }
        } catch (jakarta.mail.MessagingException | RuntimeException e) {
            return java.util.List.of();
        }
        return found;
    }

    private static String normalised(String address) {
        String a = address == null ? "" : address;
        if (a.startsWith("@") && a.indexOf(':') > 0) {
            a = a.substring(a.indexOf(':') + 1); // RFC 5322 §4.4 obs-route
        }
        int at = a.lastIndexOf('@');
        if (at > 0 && a.startsWith("\"") && a.charAt(at - 1) == '"') {
            a = a.substring(1, at - 1).replaceAll("\\\\(.)", "$1") + a.substring(at);
        }
        return a.toLowerCase(Locale.ROOT);
    }

    /** The second opinion itself reads what it must: otherwise the oracle above could never fire. */
    @org.junit.jupiter.api.Test
    void theSecondParserReadsAddressesTheWayTheOracleNeeds() {
        byte[] header = ("From: Alice <CEO@victim.example>, \"al\\ice\"@posthorn.test\r\n"
                + "Sender: <@route.example:bob@posthorn.test>\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.UTF_8);
        org.assertj.core.api.Assertions.assertThat(angusAddresses(header))
                .containsExactly("ceo@victim.example", "alice@posthorn.test", "bob@posthorn.test");
    }

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
            // A second opinion from another parser (Angus Mail, strict RFC 822 mode): where it reads an address in
            // From: or Sender: that alice does not own, binding must have refused. Checking with mime4j's own
            // output alone would miss whatever mime4j misreads.
            for (String other : angusAddresses(header)) {
                if (!other.equals("alice@posthorn.test")) {
                    throw new AssertionError("binding let through " + other + " (as Angus Mail reads the header)");
                }
            }
        }
    }
}
