package dev.posthorn.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.posthorn.delivery.fixtures.UnboundServer;
import dev.posthorn.mailauth.dkim.DkimAlgorithm;
import dev.posthorn.mailauth.dkim.DkimKeys;
import dev.posthorn.mailauth.dkim.KeyRecord;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code posthorn dkim} and {@code posthorn dns [check]} against a zone served by a real DNS server (unbound):
 * one domain whose records are all in order, one with a truncated DKIM key, no DMARC record and an SPF record
 * needing too many lookups. Each problem must be named, and the exit status must say whether all is well.
 */
@Timeout(120)
class DnsCommandTest {

    @TempDir
    static Path dir;
    static UnboundServer dns;
    static Path data;
    static DkimKeys.KeyInfo goodKey;
    static DkimKeys.KeyInfo badKey;

    @BeforeAll
    static void start() throws Exception {
        data = Files.createDirectories(dir.resolve("data"));
        DkimKeys keys = DkimKeys.under(data);
        goodKey = keys.generate("good.test", "g1", DkimAlgorithm.RSA_SHA256);
        badKey = keys.generate("bad.test", "b1", DkimAlgorithm.RSA_SHA256);
        List<String> records = new ArrayList<>(List.of(
                "good.test. MX 10 mx.posthorn.test.",
                "mx.posthorn.test. A 127.0.0.1",
                "1.0.0.127.in-addr.arpa. PTR mx.posthorn.test.",
                txt("good.test", "v=spf1 mx -all"),
                txt(goodKey.recordName(), goodKey.txtRecord()),
                txt("_dmarc.good.test", "v=DMARC1; p=reject; rua=mailto:postmaster@good.test"),
                "bad.test. MX 10 mx.posthorn.test.",
                // The provider kept only the first 200 characters of p=.
                txt(badKey.recordName(), "v=DKIM1; k=rsa; p=" + KeyRecord.publicKeyValue(badKey.publicKey()).substring(0, 200))));
        StringBuilder spf = new StringBuilder("v=spf1 mx");
        for (int i = 1; i <= 10; i++) {
            spf.append(" include:s").append(i).append(".bad.test");
            records.add(txt("s" + i + ".bad.test", "v=spf1 -all"));
        }
        records.add(txt("bad.test", spf + " -all"));
        dns = UnboundServer.start(Files.createDirectories(dir.resolve("dns")), List.of("test.", "127.in-addr.arpa."),
                records);
    }

    @AfterAll
    static void stop() {
        if (dns != null) {
            dns.close();
        }
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

    static CliRun dns(String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--data-dir", data.toString(), "--hostname", "mx.posthorn.test", "--dns", dns.address()));
        return CliRun.of(all.toArray(String[]::new));
    }

    @Test
    void aDomainWithEveryRecordInOrderChecksCleanWithExitZero() {
        CliRun run = dns("dns", "check", "good.test");
        assertThat(run.out()).isEqualTo(String.join("\n",
                "OK          MX             good.test has an MX record naming this server, mx.posthorn.test.",
                "OK          SPF            The SPF record of good.test authorizes this server and needs 1 DNS lookups"
                        + " (at most 10 are allowed).",
                "OK          DKIM g1        DKIM key g1 is published and matches this server's key.",
                "OK          DMARC          good.test has a DMARC record with policy reject.",
                "OK          PTR 127.0.0.1  127.0.0.1 has a PTR record naming mx.posthorn.test.",
                "",
                "All records of good.test are in order.",
                ""));
        assertThat(run.exitCode()).isZero();
    }

    @Test
    void truncatedKeyMissingDmarcAndTooManySpfLookupsAreEachNamed() {
        CliRun run = dns("dns", "check", "bad.test");
        assertThat(run.out()).isEqualTo(String.join("\n",
                "OK          MX             bad.test has an MX record naming this server, mx.posthorn.test.",
                "WRONG       SPF            The SPF record of bad.test needs 11 DNS lookups; more than 10 make SPF fail"
                        + " with permerror (RFC 7208 §4.6.4). Replace include:, a and mx terms with ip4:/ip6: ranges.",
                "TRUNCATED   DKIM b1        DKIM key b1 is truncated: only 200 of the 392 characters of p= are published"
                        + " (DNS providers often cut at 255). Publish it as several strings of at most 255 characters,"
                        + " as 'posthorn dns bad.test' prints it.",
                "MISSING     DMARC          bad.test has no DMARC record (TXT at _dmarc.bad.test): Gmail and Yahoo"
                        + " expect one from every sender.",
                "OK          PTR 127.0.0.1  127.0.0.1 has a PTR record naming mx.posthorn.test.",
                "",
                "Records of bad.test to fix: 3.",
                ""));
        assertThat(run.exitCode()).isEqualTo(1);
    }

    @Test
    void theCheckSpeaksTurkish() {
        CliRun run = dns("dns", "check", "bad.test", "--lang", "tr");
        assertThat(run.out()).contains("KESİK       DKIM b1        b1 DKIM anahtarı kesik: p= değerinin 392 karakterinden"
                + " yalnızca 200 tanesi yayımlanmış")
                .contains("EKSİK       DMARC          bad.test için DMARC kaydı yok")
                .contains("bad.test alan adında düzeltilecek kayıt sayısı: 3.");
        assertThat(run.exitCode()).isEqualTo(1);
    }

    @Test
    void recordsToPasteHoldTheWholeKeyInStringsOfAtMost255() {
        CliRun run = dns("dns", "good.test");
        assertThat(run.exitCode()).isZero();
        assertThat(run.out()).contains("\ngood.test. 3600 IN MX 10 mx.posthorn.test.\n")
                .contains("\ngood.test. 3600 IN TXT \"v=spf1 mx -all\"\n")
                .contains("\n_dmarc.good.test. 3600 IN TXT \"v=DMARC1; p=none; rua=mailto:postmaster@good.test\"\n")
                .contains("\n1.0.0.127.in-addr.arpa. 3600 IN PTR mx.posthorn.test.\n");
        Matcher m = Pattern.compile("g1\\._domainkey\\.good\\.test\\. 3600 IN TXT \\(((?:\\n    \"[^\"]*\")+) \\)")
                .matcher(run.out());
        assertThat(m.find()).as(run.out()).isTrue();
        List<String> strings = Pattern.compile("\"([^\"]*)\"").matcher(m.group(1)).results().map(r -> r.group(1)).toList();
        assertThat(strings).hasSizeGreaterThan(1).allMatch(s -> s.length() <= 255);
        assertThat(String.join("", strings)).isEqualTo(goodKey.txtRecord());
    }

    @Test
    void keygenPrintsTheRecordAndListShowsWhichKeySigns(@TempDir Path other) {
        CliRun made = CliRun.of("dkim", "keygen", "example.org", "--selector", "s1", "--algorithm", "ed25519",
                "--data-dir", other.toString());
        assertThat(made.exitCode()).isZero();
        assertThat(made.out()).contains("(active: signs from now on)")
                .containsPattern("s1\\._domainkey\\.example\\.org\\. 3600 IN TXT \"v=DKIM1; k=ed25519; p=[A-Za-z0-9+/]{43}=\"");
        CliRun second = CliRun.of("dkim", "keygen", "example.org", "--selector", "s2", "--data-dir", other.toString());
        assertThat(second.out()).contains("(active: signs from now on)"); // the first RSA key
        CliRun third = CliRun.of("dkim", "keygen", "example.org", "--selector", "s3", "--data-dir", other.toString());
        assertThat(third.out()).contains("not active yet: publish the record, then 'posthorn dkim activate example.org s3'");
        assertThat(CliRun.of("dkim", "activate", "example.org", "s3", "--data-dir", other.toString()).out())
                .isEqualTo("Mail from example.org is now signed with selector s3 (rsa).\n");
        CliRun list = CliRun.of("dkim", "list", "--data-dir", other.toString());
        assertThat(list.out()).isEqualTo(String.join("\n",
                "DOMAIN                         SELECTOR         ALG      STATE",
                "example.org                    s1               ed25519  active",
                "example.org                    s2               rsa      inactive",
                "example.org                    s3               rsa      active",
                ""));
        CliRun again = CliRun.of("dkim", "keygen", "example.org", "--selector", "s1", "--data-dir", other.toString());
        assertThat(again.exitCode()).isEqualTo(1);
        assertThat(again.err()).contains("selector s1 of example.org already has a key");
    }
}
