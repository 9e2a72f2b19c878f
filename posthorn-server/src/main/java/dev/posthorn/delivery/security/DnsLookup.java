package dev.posthorn.delivery.security;

import java.io.ByteArrayInputStream;
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
 * is ever "secure". Each question has the resolver's timeout and retries ({@code [dns]}). When validation does not
 * work through the servers at all ({@link DnssecStatus}), questions are asked without it until it does again.
 */
public final class DnsLookup {

    private static final int MAX_CNAME_CHAIN = 8;

    private final Resolver plain;
    private final byte[] anchors;
    /** Replaced after each check that validates: a validator keeps the keys it found bad (a stripping resolver's). */
    private volatile ValidatingResolver validator;
    private final DnssecStatus dnssec;

    private DnsLookup(Resolver plain, byte[] anchors, List<Name> anchorZones, String servers) throws IOException {
        this.plain = plain;
        this.anchors = anchors;
        this.validator = anchors == null ? null : newValidator(plain, anchors);
        this.dnssec = anchors == null ? null : new DnssecStatus(this::checkAnchorZone, anchorZones, servers);
    }

    /** Plain lookups: answers are used as they come and never called secure. */
    public static DnsLookup plain(Resolver resolver) {
        try {
            return new DnsLookup(resolver, null, List.of(), null);
        } catch (IOException e) {
            throw new AssertionError("no anchors to read", e);
        }
    }

    /**
     * Validating lookups over {@code upstream}, trusting the DS or DNSKEY records of {@code anchorFile} (zone-file
     * form), or the root's anchors shipped with Posthorn when it is null.
     */
    public static DnsLookup validating(Resolver upstream, Path anchorFile) throws IOException {
        return validating(upstream, anchorFile, "[dns] servers");
    }

    /** As above; {@code servers} names the resolvers for the operator when DNSSEC does not work through them. */
    public static DnsLookup validating(Resolver upstream, Path anchorFile, String servers) throws IOException {
        byte[] anchors;
        try (InputStream in = anchorFile == null ? DnsLookup.class.getResourceAsStream("/dnssec/root-anchors.txt")
                : Files.newInputStream(anchorFile)) {
            if (in == null) {
                throw new IOException("the built-in root trust anchors are missing from the build");
            }
            anchors = in.readAllBytes();
        }
        ValidatingResolver v = newValidator(upstream, anchors);
        if (v.getTrustAnchors().items().isEmpty()) {
            throw new IOException((anchorFile == null ? "built-in anchors" : anchorFile)
                    + ": no DS or DNSKEY record to use as a DNSSEC trust anchor");
        }
        List<Name> zones = v.getTrustAnchors().items().stream().map(rrset -> rrset.getName()).distinct().toList();
        return new DnsLookup(upstream, anchors, zones, servers);
    }

    private static ValidatingResolver newValidator(Resolver upstream, byte[] anchors) throws IOException {
        ValidatingResolver v = new ValidatingResolver(upstream);
        v.loadTrustAnchors(new ByteArrayInputStream(anchors));
        return v;
    }

    /**
     * A trust anchor zone's DNSKEY records through a fresh validator (one that has not cached keys as bad while
     * the resolvers stripped DNSSEC); when they validate, lookups use that validator from now on.
     */
    private DnsAnswer checkAnchorZone(Name zone) {
        ValidatingResolver fresh;
        try {
            fresh = newValidator(plain, anchors);
        } catch (IOException e) {
            return new DnsAnswer.Failed("cannot load the trust anchors: " + e.getMessage(), false);
        }
        DnsAnswer answer = ask(fresh, true, zone, Type.DNSKEY);
        if (answer instanceof DnsAnswer.Found f && f.secure()) {
            validator = fresh;
        }
        return answer;
    }

    /** Whether lookups are meant to be validated ({@code dane = true}), whatever {@link #dnssec()} found. */
    public boolean validating() {
        return validator != null;
    }

    /** Whether validation works through the resolvers (see {@link DnssecStatus}); null for plain lookups. */
    public DnssecStatus dnssec() {
        return dnssec;
    }

    /** True when answers are being validated now: validating lookups, and DNSSEC not found unavailable. */
    public boolean dnssecAvailable() {
        return dnssec != null && dnssec.available();
    }

    /**
     * One question, following CNAMEs (each hop must be secure for the answer to be). A recursive resolver answers
     * with the whole chain and the records at its end in one message (RFC 1034 §3.6.2, §4.3.2): the chain is
     * walked inside the answer from the name asked, so {@code canonical} is the owner of the records found (the
     * CNAME-expanded name, which RFC 7672 §2.2.2 looks up TLSA records at first); a chain the resolver did not
     * follow to its end is asked again from where it stops.
     */
    public DnsAnswer query(Name name, int type) {
        if (!dnssecAvailable()) {
            return ask(plain, false, name, type);
        }
        DnsAnswer answer = ask(validator, true, name, type);
        dnssec.observed(answer);
        if (answer instanceof DnsAnswer.Failed f && f.bogus() && dnssec.checkIfNeverChecked() == DnssecStatus.Verdict.UNAVAILABLE) {
            // The first bogus answer before the start-up check finished: a stripping resolver would otherwise
            // defer the first mails (or all of them, for a caller that never starts the periodic check).
            return ask(plain, false, name, type);
        }
        return answer;
    }

    private static DnsAnswer ask(Resolver resolver, boolean validating, Name name, int type) {
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
            String bogus = validating ? bogusReason(response) : null;
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
    private static String bogusReason(Message response) {
        if (response.getRcode() != Rcode.SERVFAIL) {
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
