package dev.posthorn.delivery.security;

import java.util.List;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;

/**
 * The answer to one DNS question, with what DNSSEC says about it (RFC 4033 §5): {@code secure} only when our own
 * validator proved the whole answer (CNAME chain included) from a trust anchor; never from a network AD bit.
 */
public sealed interface DnsAnswer {

    /**
     * Records of the asked type; {@code canonical} is their owner: the name asked, or where its CNAME chain ends.
     */
    record Found(List<Record> records, Name canonical, boolean secure) implements DnsAnswer {
        public Found {
            records = List.copyOf(records);
        }
    }

    /**
     * No record of that type (NODATA) or no such name (NXDOMAIN) at {@code canonical} (where the name's CNAME
     * chain ends); {@code secure} when the denial (and the chain) was proved.
     */
    record Empty(boolean nxdomain, Name canonical, boolean secure) implements DnsAnswer {
    }

    /**
     * No usable answer: a timeout, SERVFAIL, REFUSED, or (when {@code bogus}) an answer that failed DNSSEC
     * validation. Either way nothing can be concluded, and no security decision may treat it as "absent".
     */
    record Failed(String reason, boolean bogus) implements DnsAnswer {
    }
}
