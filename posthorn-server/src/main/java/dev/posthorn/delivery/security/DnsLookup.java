package dev.posthorn.delivery.security;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Resolver;
import org.xbill.DNS.Section;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.Type;
import org.xbill.DNS.dnssec.ValidatingResolver;

/**
 * One DNS client for the outbound path. With {@link #validating} it is dnsjava's {@link ValidatingResolver} over
 * the configured servers: every answer is checked by us from the trust anchor down (the servers only have to pass
 * DNSSEC records through), so an AD bit set by a resolver on the network is never believed. Without it, nothing
 * is ever "secure". Each question has the resolver's timeout and retries ({@code [dns]}).
 */
public final class DnsLookup {

    private static final int MAX_CNAME_CHAIN = 8;

    private final Resolver resolver;
    private final boolean validating;

    private DnsLookup(Resolver resolver, boolean validating) {
        this.resolver = resolver;
        this.validating = validating;
    }

    /** Plain lookups: answers are used as they come and never called secure. */
    public static DnsLookup plain(Resolver resolver) {
        return new DnsLookup(resolver, false);
    }

    /**
     * Validating lookups over {@code upstream}, trusting the DS or DNSKEY records of {@code anchorFile} (zone-file
     * form), or the root's anchors shipped with Posthorn when it is null.
     */
    public static DnsLookup validating(Resolver upstream, Path anchorFile) throws IOException {
        ValidatingResolver v = new ValidatingResolver(upstream);
        try (InputStream in = anchorFile == null ? DnsLookup.class.getResourceAsStream("/dnssec/root-anchors.txt")
                : Files.newInputStream(anchorFile)) {
            if (in == null) {
                throw new IOException("the built-in root trust anchors are missing from the build");
            }
            v.loadTrustAnchors(in);
        }
        if (v.getTrustAnchors().items().isEmpty()) {
            throw new IOException((anchorFile == null ? "built-in anchors" : anchorFile)
                    + ": no DS or DNSKEY record to use as a DNSSEC trust anchor");
        }
        return new DnsLookup(v, true);
    }

    public boolean validating() {
        return validating;
    }

    /**
     * One question, following CNAMEs (each hop must be secure for the answer to be). A recursive resolver answers
     * with the whole chain and the records at its end in one message (RFC 1034 §3.6.2, §4.3.2): the chain is
     * walked inside the answer from the name asked, so {@code canonical} is the owner of the records found (the
     * CNAME-expanded name, which RFC 7672 §2.2.2 looks up TLSA records at first); a chain the resolver did not
     * follow to its end is asked again from where it stops.
     */
    public DnsAnswer query(Name name, int type) {
        Name current = name;
        boolean secure = validating;
        int hops = 0;
        while (true) {
            Message response;
            try {
                response = resolver.send(Message.newQuery(Record.newRecord(current, type, DClass.IN)));
            } catch (IOException e) {
                return new DnsAnswer.Failed("DNS query " + Type.string(type) + " " + current + " failed: "
                        + e.getMessage(), false);
            }
            String bogus = bogusReason(response);
            if (bogus != null) {
                return new DnsAnswer.Failed("DNSSEC validation of " + Type.string(type) + " " + current
                        + " failed (bogus): " + bogus, true);
            }
            secure &= response.getHeader().getFlag(Flags.AD);
            List<Record> answers = response.getSection(Section.ANSWER);
            Name asked = current;
            if (type != Type.CNAME) {
                for (Name next = cnameTarget(answers, current); next != null; next = cnameTarget(answers, current)) {
                    if (++hops > MAX_CNAME_CHAIN) {
                        return new DnsAnswer.Failed("CNAME chain too long at " + current, false);
                    }
                    current = next;
                }
            }
            int rcode = response.getRcode();
            if (rcode == Rcode.NXDOMAIN) {
                return new DnsAnswer.Empty(true, current, secure);
            }
            if (rcode != Rcode.NOERROR) {
                return new DnsAnswer.Failed("DNS query " + Type.string(type) + " " + asked + " answered "
                        + Rcode.string(rcode), false);
            }
            Name owner = current;
            List<Record> matching = answers.stream().filter(r -> r.getType() == type && r.getName().equals(owner))
                    .toList();
            if (!matching.isEmpty() || type == Type.CNAME) {
                return new DnsAnswer.Found(matching, current, secure);
            }
            if (current.equals(asked)) {
                return new DnsAnswer.Empty(false, current, secure);
            }
            // The chain stops at a name whose records the resolver did not add: ask for them there.
        }
    }

    /** The target of the CNAME record owned by {@code owner} in an answer section, or null. */
    private static Name cnameTarget(List<Record> answers, Name owner) {
        for (Record r : answers) {
            if (r instanceof CNAMERecord c && c.getName().equals(owner)) {
                return c.getTarget();
            }
        }
        return null;
    }

    /** The validator's reason when it judged the answer bogus (it then answers SERVFAIL with the reason attached). */
    private String bogusReason(Message response) {
        if (!validating || response.getRcode() != Rcode.SERVFAIL) {
            return null;
        }
        for (Record r : response.getSection(Section.ADDITIONAL)) {
            if (r instanceof TXTRecord t && r.getDClass() == ValidatingResolver.VALIDATION_REASON_QCLASS) {
                return String.join("", t.getStrings());
            }
        }
        return null;
    }
}
