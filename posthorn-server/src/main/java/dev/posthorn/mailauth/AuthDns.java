package dev.posthorn.mailauth;

/**
 * The DNS questions the authentication checks ask. One instance serves one message: it caches its answers
 * (SPF, DKIM and DMARC often ask the same names) and stops asking after the message's deadline, answering
 * {@link DnsAnswer.TempError} instead, so a slow DNS costs a bounded time and never turns into a pass.
 */
public interface AuthDns {

    /** Record types asked for; the values are those of dnsjava's {@code Type}. */
    int A = 1;
    int MX = 15;
    int TXT = 16;
    int PTR = 12;
    int AAAA = 28;

    DnsAnswer query(String name, int type);

    default DnsAnswer txt(String name) {
        return query(name, TXT);
    }
}
