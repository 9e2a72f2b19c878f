package dev.posthorn.mailauth.records;

import dev.posthorn.mailauth.AuthDns;
import dev.posthorn.mailauth.DnsAnswer;
import dev.posthorn.mailauth.dkim.DkimKeys;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The records a domain needs to receive and send mail through this server (what {@code posthorn dns DOMAIN}
 * prints): MX, SPF, each DKIM key, DMARC with a reporting address, and the reverse DNS of the server's
 * addresses.
 */
public final class DomainRecords {

    private DomainRecords() {
    }

    public static List<ExpectedRecord> expected(String domain, String hostname, List<DkimKeys.KeyInfo> keys,
            List<String> addresses) {
        List<ExpectedRecord> out = new ArrayList<>();
        out.add(new ExpectedRecord(domain, "MX", List.of("10", hostname + "."), "dns.comment.mx",
                Map.of("domain", domain, "host", hostname)));
        out.add(new ExpectedRecord(domain, "TXT", List.of("v=spf1 mx -all"), "dns.comment.spf",
                Map.of("domain", domain, "host", hostname)));
        for (DkimKeys.KeyInfo key : keys) {
            out.add(new ExpectedRecord(key.recordName(), "TXT", ExpectedRecord.strings(key.txtRecord()),
                    key.active() ? "dns.comment.dkim" : "dns.comment.dkimInactive",
                    Map.of("selector", key.selector(), "algorithm", key.algorithm().keyType())));
        }
        out.add(new ExpectedRecord("_dmarc." + domain, "TXT",
                List.of("v=DMARC1; p=none; rua=mailto:postmaster@" + domain), "dns.comment.dmarc",
                Map.of("domain", domain)));
        for (String address : addresses) {
            out.add(new ExpectedRecord(reverseName(address), "PTR", List.of(hostname + "."), "dns.comment.ptr",
                    Map.of("address", address, "host", hostname)));
        }
        return out;
    }

    /** The addresses of the server's host name, as DNS gives them (A then AAAA); empty when it has none. */
    public static List<String> addresses(String hostname, AuthDns dns) {
        return lookup(hostname, dns).list();
    }

    /**
     * The host name's addresses and, when the A or the AAAA lookup failed (a temporary error, not "no such
     * record"), why: then the list may be incomplete, and an empty one does not mean the host has no address.
     */
    public record Addresses(List<String> list, String failure) {

        public Addresses {
            list = List.copyOf(list);
        }

        /** Both lookups answered and neither had a record: the host has no address in DNS. */
        public boolean none() {
            return list.isEmpty() && failure == null;
        }
    }

    public static Addresses lookup(String hostname, AuthDns dns) {
        List<String> out = new ArrayList<>();
        String failure = null;
        for (int type : new int[] {AuthDns.A, AuthDns.AAAA}) {
            DnsAnswer answer = dns.query(hostname, type);
            if (answer instanceof DnsAnswer.Records r) {
                out.addAll(r.values());
            } else if (answer instanceof DnsAnswer.TempError t && failure == null) {
                failure = t.reason();
            }
        }
        return new Addresses(out, failure);
    }

    /** {@code 1.0.0.127.in-addr.arpa} or the nibble form under ip6.arpa (RFC 3596 §2.5). */
    public static String reverseName(String address) {
        try {
            byte[] bytes = InetAddress.getByName(address).getAddress();
            StringBuilder s = new StringBuilder();
            if (bytes.length == 4) {
                for (int i = 3; i >= 0; i--) {
                    s.append(bytes[i] & 0xff).append('.');
                }
                return s.append("in-addr.arpa").toString();
            }
            for (int i = bytes.length - 1; i >= 0; i--) {
                s.append(Character.forDigit(bytes[i] & 0xf, 16)).append('.')
                        .append(Character.forDigit((bytes[i] >> 4) & 0xf, 16)).append('.');
            }
            return s.append("ip6.arpa").toString();
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("not an IP address: " + address, e);
        }
    }
}
