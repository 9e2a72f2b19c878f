package dev.posthorn.delivery.remote;

import dev.posthorn.delivery.DnsConfig;
import dev.posthorn.delivery.security.DnsAnswer;
import dev.posthorn.delivery.security.DnsLookup;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.random.RandomGenerator;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.ExtendedResolver;
import org.xbill.DNS.MXRecord;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.Resolver;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

/**
 * Finds the mail exchangers of a domain with dnsjava, asking the configured servers ({@code [dns] servers}) with
 * time-outs. RFC 5321 §5.1: MX records by preference, random among equal preferences; no MX means the domain's
 * own A/AAAA records (implicit MX); RFC 7505: a lone "MX 0 ." means the domain takes no mail.
 */
public final class MxResolver {

    private final DnsLookup dns;
    private final RandomGenerator random;

    public MxResolver(Resolver resolver, RandomGenerator random) {
        this(DnsLookup.plain(resolver), random);
    }

    /** With a validating {@link DnsLookup}, results say what DNSSEC proved (for DANE, RFC 7672 §2.2). */
    public MxResolver(DnsLookup dns, RandomGenerator random) {
        this.dns = dns;
        this.random = random;
    }

    public static MxResolver from(DnsConfig config) {
        return new MxResolver(resolverFor(config), RandomGenerator.getDefault());
    }

    public DnsLookup dns() {
        return dns;
    }

    /** A resolver on the configured servers ("host", "host:port", "[v6]:port"), or the system's when none. */
    public static Resolver resolverFor(DnsConfig config) {
        Duration timeout = Duration.ofSeconds(Math.max(1, config.timeoutSeconds));
        try {
            ExtendedResolver ext;
            if (config.servers == null || config.servers.isEmpty()) {
                ext = new ExtendedResolver();
            } else {
                List<Resolver> list = new ArrayList<>();
                for (String server : config.servers) {
                    SimpleResolver simple = new SimpleResolver(parseServer(server));
                    simple.setTimeout(timeout);
                    list.add(simple);
                }
                ext = new ExtendedResolver(list);
            }
            ext.setTimeout(timeout);
            ext.setRetries(Math.max(1, config.retries));
            return ext;
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("dns.servers: cannot use " + config.servers + ": " + e.getMessage(), e);
        }
    }

    static InetSocketAddress parseServer(String server) throws UnknownHostException {
        String host = server.trim();
        int port = 53;
        if (host.startsWith("[")) {
            int close = host.indexOf(']');
            if (close > 0 && host.length() > close + 2 && host.charAt(close + 1) == ':') {
                port = Integer.parseInt(host.substring(close + 2));
            }
            host = host.substring(1, close);
        } else if (host.indexOf(':') > 0 && host.indexOf(':') == host.lastIndexOf(':')) {
            port = Integer.parseInt(host.substring(host.indexOf(':') + 1));
            host = host.substring(0, host.indexOf(':'));
        }
        return new InetSocketAddress(InetAddress.getByName(host), port);
    }

    public MxResult resolve(String domain) {
        Name name;
        try {
            name = Name.fromString(domain.endsWith(".") ? domain : domain + ".");
        } catch (TextParseException e) {
            return new MxResult.NoSuchDomain("'" + domain + "' is not a valid domain name");
        }
        Answer mx = query(name, Type.MX);
        if (mx.error != null) {
            return mx.error;
        }
        List<MXRecord> records = new ArrayList<>();
        for (Record r : mx.records) {
            if (r instanceof MXRecord m) {
                records.add(m);
            }
        }
        if (records.isEmpty()) {
            return implicitMx(domain, name);
        }
        if (records.size() == 1 && records.get(0).getTarget().equals(Name.root)) {
            return new MxResult.NullMx();
        }
        return orderedHosts(records, mx.secure, mx.canonical.equals(name) ? null : stripDot(mx.canonical));
    }

    /**
     * The addresses of one host (a static route or the smarthost): an IP literal as is, else AAAA and A records,
     * else the system's resolver (so names from /etc/hosts work for smarthosts).
     */
    public MxResult addressesOf(String host) {
        if (host.matches("[0-9.]+") || host.contains(":")) {
            try {
                return new MxResult.Hosts(List.of(new MxResult.MxHost(host, 0, List.of(InetAddress.getByName(host)), true)));
            } catch (UnknownHostException e) {
                return new MxResult.NoSuchDomain("'" + host + "' is not a valid address");
            }
        }
        MxResult viaDns;
        try {
            viaDns = implicitMx(host, Name.fromString(host.endsWith(".") ? host : host + "."));
        } catch (TextParseException e) {
            return new MxResult.NoSuchDomain("'" + host + "' is not a valid host name");
        }
        if (viaDns instanceof MxResult.NoSuchDomain) {
            try {
                List<InetAddress> system = List.of(InetAddress.getAllByName(host));
                return new MxResult.Hosts(List.of(new MxResult.MxHost(host, 0, system, true)));
            } catch (UnknownHostException e) {
                return viaDns;
            }
        }
        return viaDns;
    }

    private MxResult implicitMx(String domain, Name name) {
        AddressAnswer addresses = addresses(name);
        if (addresses.error != null) {
            return addresses.error;
        }
        if (addresses.list.isEmpty()) {
            return new MxResult.NoSuchDomain(domain + " has no MX record and no A or AAAA record");
        }
        // RFC 7672 §2.2.1: with no MX, the domain's own secure address records stand in for a secure MX RRset.
        return new MxResult.Hosts(List.of(new MxResult.MxHost(stripDot(name), 0, addresses.list, true,
                addresses.secure, addresses.canonical)), addresses.secure, addresses.canonical);
    }

    private MxResult orderedHosts(List<MXRecord> records, boolean secure, String canonical) {
        // Group by preference, shuffle each group (RFC 5321 §5.1: spread load among equal preferences).
        Map<Integer, List<MXRecord>> byPreference = new LinkedHashMap<>();
        records.stream().sorted(Comparator.comparingInt(MXRecord::getPriority))
                .forEach(r -> byPreference.computeIfAbsent(r.getPriority(), p -> new ArrayList<>()).add(r));
        List<MxResult.MxHost> hosts = new ArrayList<>();
        String lastTemporary = null;
        for (List<MXRecord> group : byPreference.values()) {
            Collections.shuffle(group, random);
            for (MXRecord r : group) {
                if (r.getTarget().equals(Name.root)) {
                    continue; // A null MX mixed with real ones is a misconfiguration; RFC 7505 §3: ignore it.
                }
                AddressAnswer a = addresses(r.getTarget());
                if (a.error instanceof MxResult.TemporaryFailure t) {
                    lastTemporary = t.reason();
                }
                if (!a.list.isEmpty()) {
                    hosts.add(new MxResult.MxHost(stripDot(r.getTarget()), r.getPriority(), a.list, false, a.secure,
                            a.canonical));
                }
            }
        }
        if (hosts.isEmpty()) {
            return lastTemporary != null ? new MxResult.TemporaryFailure(lastTemporary)
                    : new MxResult.NoSuchDomain("no mail exchanger of the domain has an address");
        }
        return new MxResult.Hosts(hosts, secure, canonical);
    }

    /**
     * AAAA then A records of a host; a temporary failure of one family is reported only when the other has none.
     * Secure when every family that answered was proved secure and there are addresses.
     */
    private AddressAnswer addresses(Name host) {
        List<InetAddress> list = new ArrayList<>();
        MxResult firstError = null;
        boolean secure = true;
        String canonical = null;
        for (int type : new int[] {Type.AAAA, Type.A}) {
            Answer a = query(host, type);
            if (a.error != null) {
                if (firstError == null || a.error instanceof MxResult.TemporaryFailure) {
                    firstError = a.error;
                }
                // A family that fails gives no address and no verdict: it must not turn DANE off for the
                // addresses the other family proved (an attacker who drops AAAA answers gains nothing).
                continue;
            }
            secure &= a.secure;
            if (!a.canonical.equals(host)) {
                canonical = stripDot(a.canonical);
            }
            for (Record r : a.records) {
                if (r instanceof AAAARecord v6) {
                    list.add(v6.getAddress());
                } else if (r instanceof ARecord v4) {
                    list.add(v4.getAddress());
                }
            }
        }
        return new AddressAnswer(list, list.isEmpty() ? firstError : null, secure && !list.isEmpty(), canonical);
    }

    /** One question through the shared client; errors as MX results. */
    private Answer query(Name name, int type) {
        return switch (dns.query(name, type)) {
            case DnsAnswer.Found f -> new Answer(f.records(), null, f.secure(), f.canonical());
            case DnsAnswer.Empty e when e.nxdomain() -> Answer.failed(new MxResult.NoSuchDomain(stripDot(e.canonical())
                    + " does not exist (NXDOMAIN)"));
            case DnsAnswer.Empty e -> new Answer(List.of(), null, e.secure(), e.canonical());
            case DnsAnswer.Failed f -> Answer.failed(new MxResult.TemporaryFailure(f.reason()));
        };
    }

    private static String stripDot(Name n) {
        String s = n.toString();
        return s.endsWith(".") ? s.substring(0, s.length() - 1) : s;
    }

    private record Answer(List<Record> records, MxResult error, boolean secure, Name canonical) {
        static Answer failed(MxResult error) {
            return new Answer(List.of(), error, false, null);
        }
    }

    private record AddressAnswer(List<InetAddress> list, MxResult error, boolean secure, String canonical) {
    }
}
