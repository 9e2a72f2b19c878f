package dev.posthorn.delivery.remote;

import dev.posthorn.codes.ReplyName;
import dev.posthorn.delivery.security.CheckingTrustManager;
import dev.posthorn.delivery.security.MtaSts;
import dev.posthorn.delivery.security.SecurityLevel;
import dev.posthorn.delivery.security.TlsRptResult;
import dev.posthorn.delivery.security.TlsSecurity;
import java.io.Closeable;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers messages to one destination (a {@link Route}) over one connection at a time, reusing it for the
 * next message (RFC 5321 §4.1.1.5: RSET between transactions when needed). Tries the MX hosts in order and
 * each host's addresses in order until one greets; applies the route's TLS policy and the smarthost's AUTH.
 * Not thread-safe: one worker owns a session.
 */
public final class DestinationSession implements Closeable {

    private static final Logger LOG = LoggerFactory.getLogger(DestinationSession.class);

    private final Route route;
    private final MxResolver resolver;
    private final ClientSettings settings;
    private final int maxMessagesPerConnection;
    private volatile SmtpConnection connection;
    private String connectedHost;
    private TlsSecurity connectedSecurity;

    public DestinationSession(Route route, MxResolver resolver, ClientSettings settings, int maxMessagesPerConnection) {
        this.route = route;
        this.resolver = resolver;
        this.settings = settings;
        this.maxMessagesPerConnection = Math.max(1, maxMessagesPerConnection);
    }

    public Route route() {
        return route;
    }

    /** One attempt for one message: an outcome per recipient, in the order of {@code m.recipients()}. */
    public List<Outcome> deliver(OutboundMessage m) {
        boolean reused = connection != null && connection.isOpen() && connection.transactions() > 0
                && connection.transactions() < maxMessagesPerConnection;
        List<Outcome> outcomes = deliverOnce(m);
        if (reused && connection == null && outcomes.stream().allMatch(o -> o.kind() == Outcome.Kind.DEFERRED)) {
            // A reused connection that broke (the remote closed it while idle): once more on a fresh one.
            return deliverOnce(m);
        }
        return outcomes;
    }

    private List<Outcome> deliverOnce(OutboundMessage m) {
        if (connection == null || !connection.isOpen() || connection.transactions() >= maxMessagesPerConnection) {
            closeConnection();
            Outcome failure = connect();
            if (failure != null) {
                return Collections.nCopies(m.recipients().size(), failure);
            }
        }
        try {
            TransactionResult result = connection.send(m);
            List<Outcome> outcomes = new ArrayList<>(m.recipients().size());
            for (int i = 0; i < m.recipients().size(); i++) {
                outcomes.add(Outcome.fromReply(result.outcome(i), connectedHost, connection.supports("DSN"),
                        connectedSecurity));
            }
            if (result.mailReply().code() == 421 || (result.dataReply() != null && result.dataReply().code() == 421)) {
                closeConnection(); // RFC 5321 §3.8: the server is closing the channel.
            }
            return outcomes;
        } catch (SmtpClientException e) {
            LOG.info("delivery to {} via {} interrupted: {}", m.recipients().get(0).address(), connectedHost, e.reply().oneLine());
            closeConnection();
            // The connection broke mid-transaction: nothing was accepted, everything is retried.
            Outcome deferred = new Outcome(Outcome.Kind.DEFERRED, e.reply().transientFailure() ? e.reply()
                    : RemoteReply.local(451, "4.4.2", e.reply().oneLine()), connectedHost, false, connectedSecurity);
            return Collections.nCopies(m.recipients().size(), deferred);
        } catch (java.io.IOException e) {
            closeConnection();
            RemoteReply reply = RemoteReply.local(451, "4.3.0", "Local error while sending: " + e.getMessage());
            return Collections.nCopies(m.recipients().size(), new Outcome(Outcome.Kind.DEFERRED, reply, connectedHost,
                    false, connectedSecurity));
        }
    }

    /** Opens a connection to the first host that will talk; returns the failure for every recipient otherwise. */
    private Outcome connect() {
        MxResult hosts = switch (route) {
            case Route.Mx mx when mx.domain().startsWith("[") && mx.domain().endsWith("]") ->
                    // RFC 5321 §4.1.3: an address literal names the host itself, no MX lookup.
                    resolver.addressesOf(mx.domain().substring(1, mx.domain().length() - 1).replaceFirst("(?i)^IPv6:", ""));
            case Route.Mx mx -> resolver.resolve(mx.domain());
            case Route.Static s -> resolver.addressesOf(s.host());
            case Route.Smarthost h -> resolver.addressesOf(h.host());
        };
        int port = switch (route) {
            case Route.Mx mx -> mx.port();
            case Route.Static s -> s.port();
            case Route.Smarthost h -> h.port();
        };
        switch (hosts) {
            case MxResult.NullMx n -> {
                // RFC 7505 §4.1: a domain with a null MX takes no mail; fail at once.
                var r = ReplyName.NULL_MX.reply();
                return new Outcome(Outcome.Kind.FAILED, RemoteReply.local(r.code(), r.enhanced(), r.lines().get(0)), null);
            }
            case MxResult.NoSuchDomain d -> {
                return new Outcome(Outcome.Kind.FAILED, RemoteReply.local(550, "5.1.2", "Host or domain name not found: "
                        + d.reason()), null);
            }
            case MxResult.TemporaryFailure t -> {
                return new Outcome(Outcome.Kind.DEFERRED, RemoteReply.local(451, "4.4.3", "Host or domain name lookup failed: "
                        + t.reason()), null);
            }
            case MxResult.Hosts list -> {
                List<MxResult.MxHost> usable = route instanceof Route.Mx ? withoutSelf(list.hosts()) : list.hosts();
                if (usable.isEmpty()) {
                    // A loop is permanent, and X.4.6 is transient-only (RFC 3463 §3.5), hence the generic 5.4.0.
                    return new Outcome(Outcome.Kind.FAILED, RemoteReply.local(554, "5.4.0", "Mail for "
                            + ((Route.Mx) route).domain() + " loops back to myself: " + settings.heloName()
                            + " is its best MX but does not host the domain"), null);
                }
                return connectToFirst(list, usable, port);
            }
        }
    }

    /**
     * RFC 5321 §5.1: a relay that finds its own name among the MX hosts must discard that MX and every MX of
     * equal or greater preference value, or mail would loop.
     */
    private List<MxResult.MxHost> withoutSelf(List<MxResult.MxHost> hosts) {
        int selfPreference = Integer.MAX_VALUE;
        for (MxResult.MxHost h : hosts) {
            if (!h.implicit() && h.name().equalsIgnoreCase(settings.heloName())) {
                selfPreference = Math.min(selfPreference, h.preference());
            }
        }
        if (selfPreference == Integer.MAX_VALUE) {
            return hosts;
        }
        int cutoff = selfPreference;
        return hosts.stream().filter(h -> h.preference() < cutoff).toList();
    }

    private Outcome connectToFirst(MxResult.Hosts all, List<MxResult.MxHost> hosts, int port) {
        TransportSecurity policies = settings.security();
        // DANE and MTA-STS apply to a domain's MX hosts (RFC 7672 §2, RFC 8461 §4), not to the operator's own
        // routes, a smarthost, an address literal, or a route whose TLS the operator turned off.
        String domain = route instanceof Route.Mx mx && !mx.domain().startsWith("[") && policies != null
                && route.tls() != TlsPolicy.NONE ? mx.domain() : null;
        MtaSts.Lookup sts = domain == null ? null : policies.domainPolicy(domain);
        Outcome last = null;
        for (MxResult.MxHost host : hosts) {
            HostPlan plan = domain == null ? null : policies.plan(domain, all, host, sts);
            if (plan != null && plan.mode() == HostPlan.Mode.REFUSE) {
                // RFC 7672 §2.2 and RFC 8461 §4.1: this host may not be used; try the next one.
                LOG.warn("not delivering to {} for {}: {}", host.name(), domain, plan.refusal().oneLine());
                policies.record(plan, plan.security(), host.name(), null);
                last = new Outcome(Outcome.Kind.DEFERRED, plan.refusal(), null, false, plan.security());
                continue;
            }
            for (InetAddress address : host.addresses()) {
                String name = host.implicit() && host.name().equals(address.getHostAddress()) ? null : host.name();
                String described = (name == null ? "" : name + " ") + "[" + address.getHostAddress() + "]:" + port;
                SmtpConnection c = null;
                try {
                    c = SmtpConnection.open(new InetSocketAddress(address, port), name, settings);
                    c.hello();
                    Secured secured = plan == null ? secure(c, described)
                            : securePlanned(c, described, plan, host.name(), address.getHostAddress());
                    if (secured.refusal() != null) {
                        secured.connection().quitQuietly();
                        last = secured.refusal();
                        continue;
                    }
                    connection = secured.connection();
                    connectedHost = described;
                    connectedSecurity = secured.security();
                    return null;
                } catch (SmtpClientException e) {
                    if (c != null) {
                        c.close();
                    }
                    LOG.info("cannot use {} for {}: {}", described, route.key(), e.reply().oneLine());
                    // Try the next address or MX host (RFC 5321 §5.1), whatever the failure; remember the last one.
                    Outcome.Kind kind = e.reply().permanentFailure() ? Outcome.Kind.FAILED : Outcome.Kind.DEFERRED;
                    last = new Outcome(kind, e.reply(), e.getCause() == null ? described : null, false,
                            plan == null ? null : plan.security());
                } catch (java.io.IOException e) {
                    if (c != null) {
                        c.close();
                    }
                    last = new Outcome(Outcome.Kind.DEFERRED, RemoteReply.local(451, "4.4.2", "Error talking to "
                            + described + ": " + e.getMessage()), null, false, plan == null ? null : plan.security());
                }
            }
        }
        return last != null ? last : new Outcome(Outcome.Kind.DEFERRED,
                RemoteReply.local(451, "4.4.4", "No address to deliver to"), null);
    }

    /** The connection to use, or why this host is refused (then the connection is to be closed). */
    private record Secured(SmtpConnection connection, Outcome refusal, TlsSecurity security) {
    }

    /** STARTTLS per the route's policy, then AUTH for a smarthost. */
    private Secured secure(SmtpConnection c, String described) throws java.io.IOException {
        TlsPolicy tls = route.tls();
        if (tls != TlsPolicy.NONE) {
            boolean started;
            try {
                started = c.startTls(tls == TlsPolicy.VERIFY);
            } catch (SmtpClientException e) {
                if (tls.mandatory()) {
                    throw e;
                }
                // Opportunistic TLS that fails its handshake: RFC 7435 §3 allows falling back to plaintext.
                SmtpConnection plain = SmtpConnection.open(c.address(), c.remoteName(), settings);
                plain.hello();
                return authenticate(plain, described, routeSecurity(plain));
            }
            if (!started && tls.mandatory()) {
                return new Secured(c, new Outcome(Outcome.Kind.DEFERRED, RemoteReply.local(451, "4.7.10",
                        "TLS is required for this destination but " + described + " does not offer STARTTLS"), described),
                        routeSecurity(c));
            }
        }
        return authenticate(c, described, routeSecurity(c));
    }

    /** What the route's own TLS setting gave (no DANE or MTA-STS involved). */
    private TlsSecurity routeSecurity(SmtpConnection c) {
        String setting = route.tls().name().toLowerCase(java.util.Locale.ROOT);
        if (!c.tlsActive()) {
            return TlsSecurity.of(SecurityLevel.NONE, "tls=" + setting + ", no TLS");
        }
        return TlsSecurity.of(SecurityLevel.OPPORTUNISTIC, "tls=" + setting + (route.tls() == TlsPolicy.VERIFY
                ? ", certificate verified by the JDK's trust store" : ""));
    }

    /**
     * STARTTLS as the host's plan demands. Where a policy requires TLS, no failure ever falls back to plaintext
     * or to an unchecked certificate: the host is refused with a reply naming the policy, the host and the failure.
     * The route's own setting ({@code queue.tls}, {@code tls_required_domains}) is a floor under every plan: a
     * mandatory one never allows plaintext, {@code verify} always adds its certificate check; a receiving domain's
     * policy can raise what is demanded, never lower it.
     */
    private Secured securePlanned(SmtpConnection c, String described, HostPlan plan, String mxHost, String ip)
            throws java.io.IOException {
        TransportSecurity policies = settings.security();
        TlsPolicy floor = route.tls();
        if (plan.trust() != null) {
            plan.trust().reset(); // this connection is judged afresh, whatever an earlier address did
        }
        CheckingTrustManager verified = floor == TlsPolicy.VERIFY ? policies.verifying(mxHost) : null;
        return switch (plan.mode()) {
            case AUTHENTICATED -> required(c, described, plan, verified == null ? plan.trust()
                    : CheckingTrustManager.both(plan.trust(), verified), mxHost, ip);
            // RFC 7672 §2.2: TLSA records but none usable: TLS without authentication, unless the operator verifies.
            case ENCRYPTED -> required(c, described, plan, verified == null ? CheckingTrustManager.anyCertificate()
                    : verified, mxHost, ip);
            case TESTING -> testing(c, described, plan, verified == null ? plan.trust()
                    : CheckingTrustManager.both(plan.trust(), verified), mxHost, ip);
            default -> {
                Secured s = secure(c, described);
                TlsSecurity aim = plan.security();
                TlsSecurity reached = new TlsSecurity(s.security().level(), aim.decidedBy(), aim.failure(), aim.detail());
                if (s.refusal() == null) {
                    policies.record(plan, reached, mxHost, ip);
                }
                yield new Secured(s.connection(), s.refusal() == null ? null : s.refusal().withSecurity(reached), reached);
            }
        };
    }

    /** STARTTLS that must succeed with {@code check} passing (DANE, MTA-STS enforce, TLSA without a usable record). */
    private Secured required(SmtpConnection c, String described, HostPlan plan, CheckingTrustManager check,
                             String mxHost, String ip) throws java.io.IOException {
        TransportSecurity policies = settings.security();
        TlsSecurity aim = plan.security();
        boolean started;
        try {
            started = c.startTls(check, plan.serverName());
        } catch (SmtpClientException e) {
            CheckingTrustManager trust = plan.trust();
            TlsSecurity failed;
            RemoteReply reply;
            if (trust != null && trust.failure() != null) {
                failed = aim.failed(trust.failure(), trust.detail());
                ReplyName name = "DANE".equals(plan.policyName()) ? ReplyName.DANE_CERTIFICATE_REFUSED
                        : ReplyName.MTA_STS_CERTIFICATE_REFUSED;
                reply = RemoteReply.of(name.reply(aim.decidedBy(), described, trust.failure().type() + ": "
                        + trust.detail()));
            } else if (check.failure() != null) {
                failed = aim.failed(check.failure(), check.detail());
                reply = verifyRefusal(described, check);
            } else {
                failed = aim.failed(TlsRptResult.VALIDATION_FAILURE, e.reply().oneLine());
                reply = RemoteReply.of(ReplyName.TLS_POLICY_HANDSHAKE_FAILED.reply(plan.policyName() + " ("
                        + aim.decidedBy() + ")", described, e.reply().oneLine()));
            }
            LOG.warn("{}: {}", described, reply.oneLine());
            policies.record(plan, failed, mxHost, ip);
            return new Secured(c, Outcome.refused(reply, described, failed), failed);
        }
        if (!started) {
            TlsSecurity failed = aim.failed(TlsRptResult.STARTTLS_NOT_SUPPORTED, c.startTlsRefusal() == null
                    ? described + " does not offer STARTTLS" : described + " refused STARTTLS: "
                    + c.startTlsRefusal().oneLine());
            String policy = plan.policyName() + " (" + aim.decidedBy() + ")";
            RemoteReply reply = RemoteReply.of(c.startTlsRefusal() == null
                    ? ReplyName.TLS_POLICY_STARTTLS_MISSING.reply(policy, described)
                    : ReplyName.TLS_POLICY_STARTTLS_REFUSED.reply(policy, described, c.startTlsRefusal().oneLine()));
            LOG.warn("{}: {}", described, reply.oneLine());
            policies.record(plan, failed, mxHost, ip);
            return new Secured(c, Outcome.refused(reply, described, failed), failed);
        }
        policies.record(plan, aim, mxHost, ip);
        return new Secured(c, null, aim);
    }

    /**
     * MTA-STS "testing" (RFC 8461 §5): deliver whatever the policy would refuse, and report it; but within what the
     * route demands: with a mandatory setting no plaintext, with {@code verify} no certificate it would refuse.
     */
    private Secured testing(SmtpConnection c, String described, HostPlan plan, CheckingTrustManager check,
                            String mxHost, String ip) throws java.io.IOException {
        TransportSecurity policies = settings.security();
        TlsSecurity aim = plan.security();
        CheckingTrustManager policyTrust = plan.trust();
        boolean mandatory = route.tls().mandatory();
        boolean started;
        try {
            started = c.startTls(check, plan.serverName());
        } catch (SmtpClientException e) {
            c.close(); // the handshake, or the EHLO after it, failed: this connection is of no further use
            // What the policy would have refused, else the handshake itself (RFC 8460 §4.3: "validation-failure"):
            // the server offered STARTTLS, so this is no "starttls-not-supported".
            TlsSecurity failed = aim.failure() != null
                    ? new TlsSecurity(SecurityLevel.NONE, aim.decidedBy(), aim.failure(), aim.detail())
                    : policyTrust.failure() != null
                    ? new TlsSecurity(SecurityLevel.NONE, aim.decidedBy(), policyTrust.failure(), policyTrust.detail())
                    : new TlsSecurity(SecurityLevel.NONE, aim.decidedBy(), TlsRptResult.VALIDATION_FAILURE,
                    e.reply().oneLine());
            policies.record(plan, failed, mxHost, ip);
            if (mandatory) {
                RemoteReply reply = check != policyTrust && check.failure() != null ? verifyRefusal(described, check)
                        : e.reply();
                LOG.warn("{}: {}", described, reply.oneLine());
                return new Secured(c, Outcome.refused(reply, described, failed), failed);
            }
            // Opportunistic TLS that fails its handshake: RFC 7435 §3 allows plaintext; the report has the failure.
            SmtpConnection plain = SmtpConnection.open(c.address(), c.remoteName(), settings);
            try {
                plain.hello();
            } catch (java.io.IOException | RuntimeException x) {
                plain.close();
                throw x;
            }
            return new Secured(plain, null, failed);
        }
        if (!started) {
            TlsSecurity reached = new TlsSecurity(SecurityLevel.NONE, aim.decidedBy(), TlsRptResult.STARTTLS_NOT_SUPPORTED,
                    c.startTlsRefusal() == null ? described + " does not offer STARTTLS"
                            : described + " refused STARTTLS: " + c.startTlsRefusal().oneLine());
            policies.record(plan, reached, mxHost, ip);
            if (mandatory) {
                RemoteReply reply = RemoteReply.local(451, "4.7.10", "TLS is required for this destination but "
                        + described + (c.startTlsRefusal() == null ? " does not offer STARTTLS"
                        : " refused STARTTLS: " + c.startTlsRefusal().oneLine()));
                LOG.warn("{}: {}", described, reply.oneLine());
                return new Secured(c, Outcome.refused(reply, described, reached), reached);
            }
            return new Secured(c, null, reached);
        }
        TlsSecurity reached;
        if (aim.failure() != null) {
            reached = new TlsSecurity(SecurityLevel.OPPORTUNISTIC, aim.decidedBy(), aim.failure(), aim.detail());
        } else if (policyTrust.failure() != null) {
            reached = new TlsSecurity(SecurityLevel.OPPORTUNISTIC, aim.decidedBy(), policyTrust.failure(),
                    policyTrust.detail());
        } else {
            reached = aim;
        }
        policies.record(plan, reached, mxHost, ip);
        return new Secured(c, null, reached);
    }

    /** The deferral when the operator's {@code tls = "verify"} refuses a certificate a receiving policy would take. */
    private static RemoteReply verifyRefusal(String described, CheckingTrustManager check) {
        return RemoteReply.local(451, "4.7.5", "tls=verify requires a trusted certificate, but the one of " + described
                + " is refused: " + check.failure().type() + ": " + check.detail());
    }

    private Secured authenticate(SmtpConnection c, String described, TlsSecurity security) throws java.io.IOException {
        if (route instanceof Route.Smarthost h && h.user() != null && !h.user().isEmpty()) {
            if (!c.tlsActive()) {
                // Never send the relay password in clear text.
                return new Secured(c, new Outcome(Outcome.Kind.DEFERRED, RemoteReply.local(451, "4.7.10",
                        "Refusing to send the relay credentials to " + described + " without TLS"), described), security);
            }
            try {
                c.authenticate(h.user(), h.password() == null ? "" : h.password());
            } catch (SmtpClientException e) {
                // A rejected login is our configuration's fault, not the message's: defer, keep the remote's words.
                return new Secured(c, new Outcome(Outcome.Kind.DEFERRED, e.reply(), described), security);
            }
        }
        return new Secured(c, null, security);
    }

    private void closeConnection() {
        if (connection != null) {
            connection.quitQuietly();
            connection = null;
        }
    }

    @Override
    public void close() {
        closeConnection();
    }

    /** From another thread, at shutdown: cuts the connection so that the attempt under way fails fast. */
    public void abort() {
        SmtpConnection c = connection;
        if (c != null) {
            c.close();
        }
    }
}
