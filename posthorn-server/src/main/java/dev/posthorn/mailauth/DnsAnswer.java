package dev.posthorn.mailauth;

import java.util.List;

/**
 * The outcome of one DNS question, as the authentication checks must tell them apart: records, no records
 * (NXDOMAIN or an empty answer: the domain publishes nothing, a permanent fact), or a temporary failure (a
 * time-out, SERVFAIL: the answer is unknown and must never be read as "nothing published").
 */
public sealed interface DnsAnswer {

    /** TXT records as their strings concatenated (RFC 7208 §3.3, RFC 6376 §3.6.2.2); names without the root dot. */
    record Records(List<String> values) implements DnsAnswer {
        public Records {
            values = List.copyOf(values);
        }
    }

    /** NXDOMAIN or NOERROR without records of the type asked. */
    record NoRecords(boolean nxdomain) implements DnsAnswer {
    }

    /** The question could not be answered now (time-out, SERVFAIL, REFUSED, the message's deadline). */
    record TempError(String reason) implements DnsAnswer {
    }
}
