package dev.posthorn.delivery.remote;

import java.net.InetAddress;
import java.util.List;

/**
 * What DNS says about where a domain's mail goes (RFC 5321 §5.1, RFC 7505), and whether DNSSEC proved it: the MX
 * RRset ({@link Hosts#secure}) and each host's addresses ({@link MxHost#secure}) decide whether DANE applies
 * (RFC 7672 §2.2).
 */
public sealed interface MxResult {

    /**
     * Hosts in the order to try them: by MX preference, random among equal preferences.
     *
     * @param secure    the MX RRset (or, with no MX, the domain's address records) was proved by DNSSEC
     * @param canonical the domain's CNAME-expanded name when its MX (or address) lookup went through a CNAME, else
     *                  null: with DANE-TA a reference identifier next to the domain itself (RFC 7672 §3.2.2)
     */
    record Hosts(List<MxHost> hosts, boolean secure, String canonical) implements MxResult {
        public Hosts {
            hosts = List.copyOf(hosts);
        }

        public Hosts(List<MxHost> hosts, boolean secure) {
            this(hosts, secure, null);
        }

        public Hosts(List<MxHost> hosts) {
            this(hosts, false, null);
        }
    }

    /** RFC 7505: the domain declares that it accepts no mail ("MX 0 ."); bounce at once with 556 5.1.10. */
    record NullMx() implements MxResult {
    }

    /** The domain does not exist, or has neither MX nor address records: a permanent failure (5.1.2). */
    record NoSuchDomain(String reason) implements MxResult {
    }

    /** A timeout or server failure: try again later (4.4.3). */
    record TemporaryFailure(String reason) implements MxResult {
    }

    /**
     * One mail exchanger and its addresses, IPv6 first.
     *
     * @param implicit  true when the domain has no MX record and its own A/AAAA records are used (§5.1)
     * @param secure    its address records were proved by DNSSEC (RFC 7672 §2.2.2: only then is TLSA looked up)
     * @param canonical the owner of its address records when its name is an alias (a CNAME chain, each link
     *                  counted in {@code secure}), else null: RFC 7672 §2.2.2 looks for TLSA records there first
     */
    record MxHost(String name, int preference, List<InetAddress> addresses, boolean implicit, boolean secure,
                  String canonical) {
        public MxHost {
            addresses = List.copyOf(addresses);
        }

        public MxHost(String name, int preference, List<InetAddress> addresses, boolean implicit) {
            this(name, preference, addresses, implicit, false, null);
        }
    }
}
