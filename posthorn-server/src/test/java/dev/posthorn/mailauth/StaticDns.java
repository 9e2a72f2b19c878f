package dev.posthorn.mailauth;

import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A fixed table of TXT answers for the unit tests of the algorithms (RFC test vectors). The server's own
 * checks are tested against a real DNS server (unbound) in {@code MailAuthMxTest}.
 */
public final class StaticDns implements AuthDns {

    private final Map<String, DnsAnswer> answers = new HashMap<>();

    public StaticDns txt(String name, String... values) {
        answers.put(TXT + " " + name.toLowerCase(Locale.ROOT), new DnsAnswer.Records(List.of(values)));
        return this;
    }

    public StaticDns fail(String name) {
        answers.put(TXT + " " + name.toLowerCase(Locale.ROOT), new DnsAnswer.TempError("SERVFAIL (test)"));
        return this;
    }

    @Override
    public DnsAnswer query(String name, int type) {
        return answers.getOrDefault(type + " " + name.toLowerCase(Locale.ROOT), new DnsAnswer.NoRecords(true));
    }
}
