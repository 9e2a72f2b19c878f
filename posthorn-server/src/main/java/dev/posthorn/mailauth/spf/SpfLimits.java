package dev.posthorn.mailauth.spf;

import dev.posthorn.mailauth.AuthDns;
import dev.posthorn.mailauth.DnsAnswer;

/**
 * The DNS of one SPF check, held to RFC 7208 §4.6.4's limits that jSPF does not enforce itself (it counts the
 * ten DNS-querying terms, not what they cause): an {@code mx} answer of more than 10 names (each would cost an
 * address lookup), more than 2 void lookups (no records or NXDOMAIN), and as a backstop more questions than
 * ten terms can legitimately ask. Past a limit every further question fails at once, which ends jSPF's
 * evaluation; {@link #exceeded()} then says why and the check's result is permerror.
 */
final class SpfLimits implements AuthDns {

    static final int MAX_MX_NAMES = 10;
    static final int MAX_VOID_LOOKUPS = 2;
    /** The record, ten terms, and ten address lookups for each of them. */
    static final int MAX_QUESTIONS = 1 + 10 + 10 * 10;

    private final AuthDns dns;
    private int questions;
    private int voids;
    private String exceeded;

    SpfLimits(AuthDns dns) {
        this.dns = dns;
    }

    /** Which limit was passed, or null. */
    String exceeded() {
        return exceeded;
    }

    @Override
    public DnsAnswer query(String name, int type) {
        if (exceeded == null && ++questions > MAX_QUESTIONS) {
            exceeded = "more than " + MAX_QUESTIONS + " DNS lookups";
        }
        if (exceeded != null) {
            return new DnsAnswer.TempError(exceeded);
        }
        DnsAnswer answer = dns.query(name, type);
        if (answer instanceof DnsAnswer.NoRecords && ++voids > MAX_VOID_LOOKUPS) {
            exceeded = "more than " + MAX_VOID_LOOKUPS + " void DNS lookups";
            return new DnsAnswer.TempError(exceeded);
        }
        if (type == MX && answer instanceof DnsAnswer.Records r && r.values().size() > MAX_MX_NAMES) {
            exceeded = "more than " + MAX_MX_NAMES + " MX names for " + name;
            return new DnsAnswer.TempError(exceeded);
        }
        return answer;
    }
}
