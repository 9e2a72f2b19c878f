package dev.posthorn.policy;

import dev.posthorn.codes.Reply;
import dev.posthorn.codes.ReplyName;
import dev.posthorn.mailauth.Author;
import dev.posthorn.mailauth.AuthResults;
import dev.posthorn.mailauth.MailboxList;
import dev.posthorn.mailauth.MessageHeader;
import dev.posthorn.mailauth.MessageTap;
import dev.posthorn.mailauth.ResolverDns;
import dev.posthorn.mailauth.arc.ArcResult;
import dev.posthorn.mailauth.arc.ArcSealer;
import dev.posthorn.mailauth.arc.ArcVerifier;
import dev.posthorn.mailauth.dkim.BodyHashSpec;
import dev.posthorn.mailauth.dkim.BodyHashes;
import dev.posthorn.mailauth.dkim.DkimAlgorithm;
import dev.posthorn.mailauth.dkim.DkimKeyStore;
import dev.posthorn.mailauth.dkim.DkimResult;
import dev.posthorn.mailauth.dkim.DkimSigner;
import dev.posthorn.mailauth.dkim.DkimVerifier;
import dev.posthorn.mailauth.dkim.SigningKey;
import dev.posthorn.mailauth.dmarc.DmarcEvaluator;
import dev.posthorn.mailauth.dmarc.DmarcRecord;
import dev.posthorn.mailauth.dmarc.DmarcResult;
import dev.posthorn.mailauth.spf.SpfChecker;
import dev.posthorn.mailauth.spf.SpfResult;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.Resolver;

/**
 * Mail authentication as policy. On the MX port: SPF, DKIM, DMARC and ARC results for every message, in one
 * Authentication-Results field (RFC 8601), and, when {@code dmarc_enforce} is on, the refusal of mail that
 * fails a DMARC reject policy (never for a temporary DNS failure: that is a 451). For authenticated users:
 * DKIM signatures with the domain's active keys. For mail received on the MX port and relayed on: an ARC set.
 * Forged Authentication-Results carrying our authserv-id are removed from every message as it streams in.
 */
public final class MessageAuthentication {

    private static final Logger LOG = LoggerFactory.getLogger(MessageAuthentication.class);

    private final MailAuthConfig config;
    private final String authservId;
    private final DkimKeyStore keys;
    private final Resolver resolver;
    private final DmarcEvaluator dmarc;
    private final Clock clock;
    private final Set<String> trustedPeers;
    private final List<String> sealDomains;

    /**
     * @param trustedPeers addresses of {@code [routes]} hosts: their mail is not judged by SPF (they relay for
     *                     others), but DMARC still applies: a peer is no way round the author's policy
     * @param sealDomains  where to look for the key that seals ARC sets, in order (host name, hosted domains)
     */
    public MessageAuthentication(MailAuthConfig config, String hostname, DkimKeyStore keys, Resolver resolver,
            DmarcEvaluator dmarc, Clock clock, Set<String> trustedPeers, List<String> sealDomains) {
        this.config = config;
        this.authservId = config.authservId.isEmpty() ? hostname : config.authservId;
        this.keys = keys;
        this.resolver = resolver;
        this.dmarc = dmarc;
        this.clock = clock;
        this.trustedPeers = Set.copyOf(trustedPeers);
        this.sealDomains = List.copyOf(sealDomains);
    }

    public String authservId() {
        return authservId;
    }

    /** One message on its way in: the stream to write its content to, and what was seen of it. */
    public final class Inspection {
        private final MessageTap tap;

        private Inspection(OutputStream spool, boolean needsRelaxedHash) {
            this.tap = new MessageTap(spool, f -> AuthResults.claims(f, authservId), header -> {
                Set<BodyHashSpec> specs = new LinkedHashSet<>(DkimVerifier.bodyHashesNeeded(header));
                if (needsRelaxedHash) {
                    specs.add(BodyHashSpec.RELAXED);
                }
                return specs;
            });
        }

        /** Where the session writes the content; it reaches the spool minus forged Authentication-Results. */
        public OutputStream stream() {
            return tap;
        }
    }

    /**
     * Starts watching a message.
     *
     * @param willSign the client authenticated (its mail is signed)
     * @param relayed  a recipient is relayed to another host (an ARC set may be added)
     */
    public Inspection inspect(OutputStream spool, boolean willSign, boolean relayed) {
        return new Inspection(spool, willSign || relayed);
    }

    /** At the end of the content, before the 250: what to prepend, or why to refuse. */
    public AuthDecision decide(Inspection inspection, AuthContext context) {
        try {
            inspection.tap.finish();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        MessageHeader header = inspection.tap.header();
        BodyHashes bodies = inspection.tap.bodyHashes();
        if (context.authenticatedUser() != null) {
            return config.sign ? new AuthDecision(sign(header, bodies, signingDomain(header, context)), null)
                    : AuthDecision.NOTHING;
        }
        if (!context.mxPort() || !config.enabled) {
            return AuthDecision.NOTHING;
        }
        try {
            return check(header, bodies, context);
        } catch (RuntimeException e) {
            // A bug must not decide: under enforcement the sender retries later, else the message goes in
            // without results (and the log says why).
            LOG.error("mailauth id={} checks failed", context.queueId(), e);
            String sender = context.sender().isEmpty() ? context.helo() : context.sender();
            return config.dmarcEnforce ? AuthDecision.refuse(ReplyName.AUTH_CHECK_TEMPORARY_ERROR.reply(
                    AuthResults.value(sender.substring(sender.lastIndexOf('@') + 1)))) : AuthDecision.NOTHING;
        }
    }

    private AuthDecision check(MessageHeader header, BodyHashes bodies, AuthContext context) {
        Instant now = clock.instant();
        Duration total = Duration.ofSeconds(config.deadlineSeconds);
        Instant end = now.plus(total);
        ResolverDns dns = new ResolverDns(resolver, clock, end);
        boolean trusted = trustedPeers.contains(context.clientIp());
        boolean heloIsName = dev.posthorn.mailauth.DomainNames.isValid(context.helo())
                && context.helo().contains(".") && !context.helo().startsWith("[");
        // Each check has its own share of the time, and what one leaves unused goes to the next: the DMARC
        // policy first (15%), then SPF (35%), DKIM (30%) and ARC with the rest, so that a sender's slow records
        // can time out its own check, never the policy lookup of the domain it claims to be.
        dmarc.prefetchPolicy(header, dns.until(end.minus(share(total, 85))));
        SpfResult spf = trusted ? null : SpfChecker.mailFrom(dns.until(end.minus(share(total, 50))),
                context.clientIp(), context.sender(), context.helo());
        SpfResult heloSpf = !trusted && config.spfHelo && heloIsName && !context.sender().isEmpty()
                ? SpfChecker.helo(dns.until(end.minus(share(total, 50))), context.clientIp(), context.helo()) : null;
        List<DkimResult> dkim = new DkimVerifier(clock).verify(header, bodies, dns.until(end.minus(share(total, 20))));
        DmarcResult dmarcResult = dmarc.evaluate(header, spf, dkim, dns);
        ArcResult arc = ArcVerifier.verify(header, bodies, dns);
        AuthResults results = results(spf, heloSpf, dkim, dmarcResult, arc, context);
        Reply refusal = config.dmarcEnforce ? enforcement(dmarcResult, spf) : null;
        LOG.info("mailauth id={} client={} spf={} dkim={} dmarc={} arc={} dns_queries={} action={}",
                context.queueId(), context.clientIp(), spf == null ? "skipped" : spf.verdict().word(),
                dkim.isEmpty() ? "none" : dkim.stream().map(d -> d.verdict().word()).collect(Collectors.joining(",")),
                dmarcResult.verdict().word() + (dmarcResult.reason() == null ? "" : " (" + dmarcResult.reason() + ")"),
                arc.verdict().word(), dns.queries(), refusal == null ? "accept" : refusal.code() + " " + refusal.enhanced());
        if (refusal != null) {
            return AuthDecision.refuse(refusal);
        }
        String prefix = "";
        if (context.relayed() && config.arcSeal) {
            prefix = seal(header, bodies, arc, results, now);
        }
        return new AuthDecision(prefix + octets(results.field(authservId)), null);
    }

    private static Duration share(Duration total, int percent) {
        return total.multipliedBy(percent).dividedBy(100);
    }

    /** Refuses only a DMARC fail under a reject policy; a temporary failure that could hide a pass is a 451. */
    private static Reply enforcement(DmarcResult result, SpfResult spf) {
        switch (result.verdict()) {
            case PERMERROR -> {
                // Several From fields or addresses, a From without a usable domain, a header too large to
                // read: the author cannot be judged (RFC 7489 §6.6.1), and letting such mail through would
                // let it dodge the policy. A broken record (fromDomain known) is the domain owner's problem.
                return result.fromDomain() == null ? ReplyName.AUTHOR_AMBIGUOUS.reply(result.reason()) : null;
            }
            case FAIL -> {
                return result.applied() == DmarcRecord.Policy.REJECT
                        ? ReplyName.DMARC_REJECTED.reply(result.fromDomain(), result.reason()) : null;
            }
            case TEMPERROR -> {
                if (result.policy() != null && result.policy() != DmarcRecord.Policy.REJECT) {
                    return null; // quarantine or none: nothing would be refused anyway
                }
                return spf != null && spf.verdict() == SpfResult.Verdict.TEMPERROR
                        ? ReplyName.SPF_TEMPORARY_ERROR.reply(spf.domain())
                        : ReplyName.AUTH_CHECK_TEMPORARY_ERROR.reply(result.fromDomain());
            }
            default -> {
                return null;
            }
        }
    }

    private AuthResults results(SpfResult spf, SpfResult heloSpf, List<DkimResult> dkim, DmarcResult dmarcResult,
            ArcResult arc, AuthContext context) {
        AuthResults r = new AuthResults();
        if (spf != null) {
            boolean nullSender = context.sender().isEmpty();
            r.add("spf", spf.verdict().word(), null, null,
                    nullSender ? "smtp.helo" : "smtp.mailfrom", nullSender ? context.helo() : context.sender());
        }
        if (heloSpf != null) {
            r.add("spf", heloSpf.verdict().word(), null, null, "smtp.helo", context.helo());
        }
        if (dkim.isEmpty()) {
            r.add("dkim", "none", null, null);
        }
        for (DkimResult d : dkim) {
            r.add("dkim", d.verdict().word(), null, d.verdict() == DkimResult.Verdict.PASS ? null : d.reason(),
                    "header.d", d.domain(), "header.s", d.selector(), "header.a", d.algorithm(),
                    "header.b", d.signaturePrefix());
        }
        String comment = dmarcResult.policy() == null ? null
                : (dmarcResult.subdomainPolicy() ? "sp=" : "p=") + dmarcResult.policy().word();
        r.add("dmarc", dmarcResult.verdict().word(), comment,
                dmarcResult.verdict() == DmarcResult.Verdict.PASS || dmarcResult.verdict() == DmarcResult.Verdict.NONE
                        ? null : dmarcResult.reason(), "header.from", dmarcResult.fromDomain());
        r.add("arc", arc.verdict().word(), null, arc.reason(),
                "smtp.remote-ip", arc.verdict() == ArcResult.Verdict.NONE ? null : context.clientIp());
        return r;
    }

    private String seal(MessageHeader header, BodyHashes bodies, ArcResult arc, AuthResults results, Instant now) {
        SigningKey key = sealKey();
        if (key == null || bodies == null) {
            return "";
        }
        try {
            return ArcSealer.seal(header, bodies.get(BodyHashSpec.RELAXED), arc, authservId, octets(results.payload()),
                    key, now);
        } catch (GeneralSecurityException | RuntimeException e) {
            LOG.warn("ARC sealing with {} failed: {}", key.domain(), e.toString());
            return "";
        }
    }

    /**
     * Header text as octets, one char per octet, the form the stored message and the signatures use: a UTF-8
     * address (SMTPUTF8) in Authentication-Results is signed and stored as the same bytes.
     */
    private static String octets(String text) {
        return new String(text.getBytes(java.nio.charset.StandardCharsets.UTF_8),
                java.nio.charset.StandardCharsets.ISO_8859_1);
    }

    /** RFC 8617 specifies rsa-sha256 for ARC: the first domain of {@link #sealDomains} with an RSA key. */
    private SigningKey sealKey() {
        for (String domain : sealDomains) {
            List<SigningKey> candidates;
            try {
                candidates = keys.signingKeys(domain);
            } catch (RuntimeException e) {
                // Keys in a database that has not answered yet: the ARC set costs the seal, not the message.
                LOG.warn("DKIM keys for {} unusable, no ARC seal with them: {}", domain, e.toString());
                continue;
            }
            for (SigningKey key : candidates) {
                if (key.algorithm() == DkimAlgorithm.RSA_SHA256) {
                    return key;
                }
            }
        }
        return null;
    }

    /**
     * The domain to sign a submission for: that of the single From mailbox, and only when the user may write as
     * that address (RFC 6409 §6.1 sender binding, the same predicate the session applies): a user of one
     * hosted domain never gets mail signed for another. Null, and a log line saying why, otherwise.
     */
    private static String signingDomain(MessageHeader header, AuthContext context) {
        switch (Author.of(header)) {
            case Author.One one -> {
                MailboxList.Mailbox mailbox = one.mailbox();
                // A quoted local part may hold '@' ("alice@x"@other): never one of our addresses.
                if (mailbox.localPart().indexOf('@') < 0 && context.mayWriteAs().test(mailbox.address())) {
                    return mailbox.domain().toLowerCase(Locale.ROOT);
                }
                LOG.warn("mailauth id={} not signed: From {} is not an address {} may write as", context.queueId(),
                        AuthResults.value(mailbox.address()), context.authenticatedUser());
            }
            case Author.Absent absent -> LOG.info("mailauth id={} not signed: the message has no From field",
                    context.queueId());
            case Author.Unjudgeable u -> LOG.warn("mailauth id={} not signed: {}", context.queueId(), u.reason());
        }
        return null;
    }

    /** DKIM-Signature fields, Ed25519 and RSA when both keys exist; "" without a key or a usable header. */
    private String sign(MessageHeader header, BodyHashes bodies, String domain) {
        return sign(header, bodies, domain, DkimSigner.DEFAULT_FIELDS);
    }

    private String sign(MessageHeader header, BodyHashes bodies, String domain, List<String> candidates) {
        if (domain == null || header == null || !header.complete() || bodies == null) {
            return "";
        }
        List<SigningKey> signing;
        try {
            signing = keys.signingKeys(domain);
        } catch (RuntimeException e) {
            // An unreadable key file costs the signature, not the message.
            LOG.warn("DKIM keys for {} unusable, message not signed: {}", domain, e.toString());
            return "";
        }
        StringBuilder fields = new StringBuilder();
        for (SigningKey key : signing) {
            try {
                fields.append(DkimSigner.sign(header, bodies.get(BodyHashSpec.RELAXED), key, clock.instant(), candidates));
            } catch (GeneralSecurityException e) {
                LOG.warn("DKIM signing for {} with selector {} failed: {}", key.domain(), key.selector(), e.toString());
            }
        }
        return fields.toString();
    }

    /**
     * The fields signed in a message the server makes itself: the usual ones and a TLS report's
     * TLS-Report-Domain and TLS-Report-Submitter (RFC 8460 §5.3 asks report mails to be DKIM-signed, these
     * fields included), signed when present.
     */
    static final List<String> GENERATED_FIELDS = java.util.stream.Stream.concat(DkimSigner.DEFAULT_FIELDS.stream(),
            java.util.stream.Stream.of("tls-report-domain", "tls-report-submitter")).toList();

    /**
     * DKIM-Signature fields for a message the server makes itself (a DSN, a TLS report), whole in memory: signed
     * for the domain of its From when there is a key for it (a TLS report from an address of another domain then
     * aligns under DMARC), else for {@code fallbackDomain} (the host name).
     */
    public String signGenerated(byte[] message, String fallbackDomain) {
        if (!config.sign) {
            return "";
        }
        MessageTap tap = MessageTap.collectOnly();
        try {
            tap.write(message);
            tap.finish();
        } catch (IOException impossible) {
            throw new UncheckedIOException(impossible);
        }
        return sign(tap.header(), tap.bodyHashes(), generatedSigningDomain(tap.header(), fallbackDomain),
                GENERATED_FIELDS);
    }

    private String generatedSigningDomain(MessageHeader header, String fallbackDomain) {
        if (header != null && header.complete() && Author.of(header) instanceof Author.One one
                && one.mailbox().localPart().indexOf('@') < 0) {
            String domain = one.mailbox().domain().toLowerCase(Locale.ROOT);
            try {
                if (!keys.signingKeys(domain).isEmpty()) {
                    return domain;
                }
            } catch (RuntimeException e) {
                LOG.warn("DKIM keys for {} unusable, generated message signed for {}: {}", domain, fallbackDomain,
                        e.toString());
            }
        }
        return fallbackDomain;
    }
}
