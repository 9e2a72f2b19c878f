package dev.posthorn.web.console;

import dev.posthorn.config.PosthornConfig;
import dev.posthorn.delivery.fixtures.UnboundServer;
import dev.posthorn.mailauth.dkim.DkimAlgorithm;
import dev.posthorn.mailauth.dkim.DkimKeys;
import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The zones the console's DNS tests look at, served by a real DNS server (unbound) on loopback: good.test
 * publishes every record this server asks for (its DKIM key generated here, as {@code posthorn dkim keygen}
 * does); bad.test has an MX naming another host, no SPF, its DKIM key unpublished and no DMARC. Both are hosted
 * by a server named mx.posthorn.test at 127.0.0.1 (with its PTR record).
 */
public final class DnsZones implements AutoCloseable {

    public static final String HOST = "mx.posthorn.test";
    public static final String ADMIN = "admin@good.test";

    public final DkimKeys.KeyInfo goodKey;
    public final DkimKeys.KeyInfo badKey;
    private final UnboundServer dns;

    private DnsZones(DkimKeys.KeyInfo goodKey, DkimKeys.KeyInfo badKey, UnboundServer dns) {
        this.goodKey = goodKey;
        this.badKey = badKey;
        this.dns = dns;
    }

    /** Generates the keys under {@code dataDir} and starts the DNS server in {@code dnsDir}. */
    public static DnsZones start(Path dataDir, Path dnsDir) throws IOException, InterruptedException {
        DkimKeys keys = DkimKeys.under(Files.createDirectories(dataDir));
        DkimKeys.KeyInfo good = keys.generate("good.test", "g1", DkimAlgorithm.RSA_SHA256);
        DkimKeys.KeyInfo bad = keys.generate("bad.test", "b1", DkimAlgorithm.RSA_SHA256);
        List<String> records = new ArrayList<>(List.of(
                HOST + ". A 127.0.0.1",
                "1.0.0.127.in-addr.arpa. PTR " + HOST + ".",
                "good.test. MX 10 " + HOST + ".",
                txt("good.test", "v=spf1 mx -all"),
                txt(good.recordName(), good.txtRecord()),
                txt("_dmarc.good.test", "v=DMARC1; p=reject; rua=mailto:postmaster@good.test"),
                "bad.test. MX 10 mail.elsewhere.test."));
        UnboundServer dns = UnboundServer.start(Files.createDirectories(dnsDir), List.of("test.", "127.in-addr.arpa."),
                records);
        return new DnsZones(good, bad, dns);
    }

    /** A server configuration hosting both domains, asking this DNS server. */
    public void configure(PosthornConfig c) {
        c.server.hostname = HOST;
        c.server.domains = new ArrayList<>(List.of("good.test", "bad.test"));
        c.dns.servers = new ArrayList<>(List.of(dns.address()));
        c.mailauth.enabled = false;
    }

    /** A TXT record as unbound.conf takes it: strings of at most 255 octets, non-alphanumerics escaped. */
    static String txt(String name, String value) {
        StringBuilder rr = new StringBuilder(name).append(". TXT");
        for (int i = 0; i < value.length(); i += 255) {
            rr.append(' ');
            for (char c : value.substring(i, Math.min(value.length(), i + 255)).toCharArray()) {
                rr.append(Character.isLetterOrDigit(c) || "+/=.-:@".indexOf(c) >= 0 ? String.valueOf(c)
                        : String.format("\\%03d", (int) c));
            }
        }
        return rr.toString();
    }

    /** A UDP socket on loopback that takes questions and never answers: a dead resolver. */
    public static DatagramSocket silentResolver() throws IOException {
        return new DatagramSocket(0, InetAddress.getLoopbackAddress());
    }

    @Override
    public void close() {
        dns.close();
    }
}
