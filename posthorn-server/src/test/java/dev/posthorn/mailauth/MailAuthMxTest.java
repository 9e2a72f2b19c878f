package dev.posthorn.mailauth;

import static org.assertj.core.api.Assertions.assertThat;

import dev.posthorn.delivery.fixtures.ScriptedSmtpPeer;
import dev.posthorn.delivery.fixtures.UnboundServer;
import dev.posthorn.mailauth.dkim.BodyHashSpec;
import dev.posthorn.mailauth.dkim.DkimAlgorithm;
import dev.posthorn.mailauth.dkim.DkimKeys;
import dev.posthorn.mailauth.dkim.DkimSigner;
import dev.posthorn.mailauth.dkim.SigningKey;
import dev.posthorn.smtp.protocol.ListenerRole;
import dev.posthorn.store.UserStore;
import dev.posthorn.testing.RunningServer;
import dev.posthorn.testing.SmtpWire;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Mail authentication on the MX port, end to end: a real DNS server (unbound) serves SPF, DKIM and DMARC
 * records; mail signed by Debian's dkimpy (RSA, Ed25519, ARC) arrives over SMTP; each case is checked by the
 * exact Authentication-Results field stored with the message and, on the enforcing server, by the exact reply.
 * Signatures and seals Posthorn makes are judged by dkimpy, not by Posthorn's own verifier.
 */
@Timeout(180)
class MailAuthMxTest {

    static final String ID = "mx.posthorn.test";

    @TempDir
    static Path dir;
    static UnboundServer dns;
    static Dkimpy dkimpy;
    static DkimKeys.KeyInfo goodRsa;
    static DkimKeys.KeyInfo edKey;
    static DkimKeys.KeyInfo forwarderRsa;
    static RunningServer recorder;
    static RunningServer enforcer;
    static ScriptedSmtpPeer peer;

    @BeforeAll
    static void start() throws Exception {
        DkimKeys senders = new DkimKeys(dir.resolve("sender-keys"));
        goodRsa = senders.generate("good.test", "r1", DkimAlgorithm.RSA_SHA256);
        edKey = senders.generate("ed.test", "e1", DkimAlgorithm.ED25519_SHA256);
        forwarderRsa = senders.generate("forwarder.test", "k1", DkimAlgorithm.RSA_SHA256);
        Path recorderData = Files.createDirectories(dir.resolve("recorder"));
        DkimKeys ours = DkimKeys.under(recorderData);
        DkimKeys.KeyInfo ourRsa = ours.generate("posthorn.test", "ph1r", DkimAlgorithm.RSA_SHA256);
        DkimKeys.KeyInfo ourEd = ours.generate("posthorn.test", "ph1e", DkimAlgorithm.ED25519_SHA256);
        // A second domain of ours, that of the TLS reports' From: they are signed for it, not for the host name.
        DkimKeys.KeyInfo reportsRsa = ours.generate("reports.test", "rp1", DkimAlgorithm.RSA_SHA256);
        dns = new AuthZone()
                .txt("good.test", "v=spf1 ip4:127.0.0.1 -all")
                .txt("_dmarc.good.test", "v=DMARC1; p=reject; rua=mailto:dmarc@good.test")
                .key(goodRsa)
                .txt("ed.test", "v=spf1 -all")
                .txt("_dmarc.ed.test", "v=DMARC1; p=reject")
                .key(edKey)
                .txt("soft.test", "v=spf1 ~all")
                .txt("_dmarc.soft.test", "v=DMARC1; p=quarantine")
                .txt("temp.test", "v=spf1 include:broken.tempfail.test -all")
                .txt("_dmarc.temp.test", "v=DMARC1; p=reject")
                .txt("forwarder.test", "v=spf1 ip4:127.0.0.1 -all")
                .key(forwarderRsa)
                .key(ourRsa)
                .key(ourEd)
                .key(reportsRsa)
                .txt("_smtp._tls.reported.test", "v=TLSRPTv1; rua=mailto:postmaster@posthorn.test")
                .start(Files.createDirectories(dir.resolve("dns")), List.of("tempfail.test."));
        dkimpy = new Dkimpy(dns.port(), dir);
        peer = ScriptedSmtpPeer.startOn(InetAddress.getByName("127.0.0.2"));
        UserStore.open(recorderData).add("alice@posthorn.test", "alice's password".toCharArray());
        recorder = RunningServer.start(recorderData, c -> {
            c.mailauth.enabled = true;
            c.dns.servers = List.of(dns.address());
            c.dns.timeoutSeconds = 2;
            c.routes = new java.util.LinkedHashMap<>(Map.of("relayed.test", "127.0.0.2:" + peer.port()));
            c.outboundTls.tlsRpt = true;
            c.outboundTls.tlsRptFrom = "tlsrpt@reports.test";
        });
        enforcer = RunningServer.start(Files.createDirectories(dir.resolve("enforcer")), c -> {
            c.mailauth.enabled = true;
            c.mailauth.dmarcEnforce = true;
            c.dns.servers = List.of(dns.address());
            c.dns.timeoutSeconds = 2;
        });
    }

    @AfterAll
    static void stop() {
        for (AutoCloseable c : new AutoCloseable[] {recorder, enforcer, peer, dns}) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (Exception ignored) {
                // best effort
            }
        }
    }

    // ------------------------------------------------------------------------------------------------ helpers

    static String message(String from, String subject, String body) {
        return "From: Sender <" + from + ">\r\n"
                + "To: postmaster@posthorn.test\r\n"
                + "Subject: " + subject + "\r\n"
                + "Date: Tue, 1 Dec 2026 10:00:00 +0000\r\n"
                + "Message-ID: <" + Math.abs(subject.hashCode()) + "@test>\r\n"
                + "\r\n" + body;
    }

    /** Sends one message over the MX port and returns the reply to its end of data. */
    static String send(RunningServer server, String helo, String mailFrom, String rcpt, String message)
            throws Exception {
        try (SmtpWire wire = SmtpWire.connect(server.mxPort())) {
            wire.reply();
            assertThat(wire.command("EHLO " + helo)).startsWith("250");
            assertThat(wire.command("MAIL FROM:<" + mailFrom + ">")).startsWith("250");
            assertThat(wire.command("RCPT TO:<" + rcpt + ">")).startsWith("250");
            assertThat(wire.command("DATA")).startsWith("354");
            String dotted = message.replace("\r\n.", "\r\n..");
            wire.send(dotted + (dotted.endsWith("\r\n") ? "" : "\r\n") + ".\r\n");
            String reply = wire.reply();
            wire.command("QUIT");
            return reply;
        }
    }

    /** The message as stored for postmaster@posthorn.test, found by its Subject. */
    static String delivered(RunningServer server, String subject) throws Exception {
        long deadline = System.currentTimeMillis() + 10_000;
        while (System.currentTimeMillis() < deadline) {
            for (Path file : server.messages("postmaster@posthorn.test")) {
                String text = Dkimpy.latin1(Files.readAllBytes(file));
                if (text.contains("\r\nSubject: " + subject + "\r\n")) {
                    return text;
                }
            }
            Thread.sleep(20);
        }
        throw new AssertionError("no message with subject " + subject + " delivered");
    }

    /** The single Authentication-Results field with our authserv-id, unfolded. */
    static String authResults(String stored) {
        Matcher m = Pattern.compile("(?m)^Authentication-Results: " + Pattern.quote(ID) + ";((?:\r\n[ \t][^\r\n]*)*)")
                .matcher(stored);
        assertThat(m.find()).as("our Authentication-Results in:\n" + stored).isTrue();
        String field = "Authentication-Results: " + ID + ";" + m.group(1).replace("\r\n\t", " ");
        assertThat(m.find()).as("only one Authentication-Results with our id").isFalse();
        return field;
    }

    /** header.b as RFC 8601 wants it: the first 8 characters of b=, quoted when they hold '/' or '='. */
    static String headerB(String signedMessage, int index) {
        Matcher m = Pattern.compile("(?s)DKIM-Signature:.*?[; \t\n]b=([^;]*)").matcher(signedMessage);
        for (int i = 0; i <= index; i++) {
            assertThat(m.find()).isTrue();
        }
        String b = m.group(1).replaceAll("\\s", "").substring(0, 8);
        return b.matches("[A-Za-z0-9+]+") ? b : "\"" + b + "\"";
    }

    static String dkimpySign(String message, DkimKeys.KeyInfo key) throws Exception {
        return dkimpy.run(message, "sign", key.selector(), key.domain(), AuthZone.dkimpyKey(key, dir).toString(),
                key.algorithm().tag());
    }

    // -------------------------------------------------------------------------------------------------- tests

    @Test
    void rsaSignatureBySpfPassingSenderPassesDkimAndDmarc() throws Exception {
        String signed = dkimpySign(message("alice@good.test", "rsa pass", "Hello.\r\n"), goodRsa);
        assertThat(send(recorder, "good.test", "alice@good.test", "postmaster@posthorn.test", signed))
                .startsWith("250 2.0.0 Ok: queued as ");
        assertThat(authResults(delivered(recorder, "rsa pass"))).isEqualTo("Authentication-Results: " + ID + ";"
                + " spf=pass smtp.mailfrom=alice@good.test;"
                + " spf=pass smtp.helo=good.test;"
                + " dkim=pass header.d=good.test header.s=r1 header.a=rsa-sha256 header.b=" + headerB(signed, 0) + ";"
                + " dmarc=pass (p=reject) header.from=good.test;"
                + " arc=none");
    }

    @Test
    void ed25519OnlySignerPassesDmarcThroughDkimAlthoughSpfFails() throws Exception {
        String signed = dkimpySign(message("bob@ed.test", "ed25519 only", "Hi.\r\n"), edKey);
        assertThat(send(enforcer, "client.ed.test", "bob@ed.test", "postmaster@posthorn.test", signed))
                .startsWith("250 2.0.0 Ok: queued as ");
        assertThat(authResults(delivered(enforcer, "ed25519 only"))).isEqualTo("Authentication-Results: " + ID + ";"
                + " spf=fail smtp.mailfrom=bob@ed.test;"
                + " spf=none smtp.helo=client.ed.test;"
                + " dkim=pass header.d=ed.test header.s=e1 header.a=ed25519-sha256 header.b=" + headerB(signed, 0) + ";"
                + " dmarc=pass (p=reject) header.from=ed.test;"
                + " arc=none");
    }

    @Test
    void brokenBodyHashFailsDkimAndDmarcRejectIsRecordedOrEnforced() throws Exception {
        String signed = dkimpySign(message("bob@ed.test", "altered body", "Pay 10 euros.\r\n"), edKey)
                .replace("Pay 10 euros.", "Pay 99 euros.");
        assertThat(send(recorder, "client.ed.test", "bob@ed.test", "postmaster@posthorn.test", signed))
                .startsWith("250 2.0.0 Ok: queued as ");
        assertThat(authResults(delivered(recorder, "altered body"))).isEqualTo("Authentication-Results: " + ID + ";"
                + " spf=fail smtp.mailfrom=bob@ed.test;"
                + " spf=none smtp.helo=client.ed.test;"
                + " dkim=fail reason=\"body hash did not verify\" header.d=ed.test header.s=e1 header.a=ed25519-sha256"
                + " header.b=" + headerB(signed, 0) + ";"
                + " dmarc=fail (p=reject) reason=\"SPF fail for ed.test, DKIM fail (body hash did not verify)\""
                + " header.from=ed.test;"
                + " arc=none");
        assertThat(send(enforcer, "client.ed.test", "bob@ed.test", "postmaster@posthorn.test", signed))
                .isEqualTo("550 5.7.1 Message rejected: the DMARC policy of ed.test says reject, and SPF fail for"
                        + " ed.test, DKIM fail (body hash did not verify)");
    }

    @Test
    void expiredSignatureFails() throws Exception {
        String message = message("alice@good.test", "expired", "Old news.\r\n");
        MessageTap tap = MessageTap.collectOnly();
        tap.write(message.getBytes(StandardCharsets.ISO_8859_1));
        tap.finish();
        SigningKey key = new SigningKey("good.test", "r1", DkimAlgorithm.RSA_SHA256,
                DkimKeys.readPrivate(goodRsa.file(), DkimAlgorithm.RSA_SHA256), goodRsa.publicKey());
        String bh = Base64.getEncoder().encodeToString(tap.bodyHashes().get(BodyHashSpec.RELAXED).sha256());
        String field = DkimSigner.signField("DKIM-Signature", "v=1; a=rsa-sha256; c=relaxed/relaxed; d=good.test;"
                + " s=r1; t=1600000000; x=1600086400; h=from:to:subject; bh=" + bh + "; b=",
                List.of("from", "to", "subject"), tap.header(), key);
        String signed = field + message;
        assertThat(send(recorder, "good.test", "alice@good.test", "postmaster@posthorn.test", signed))
                .startsWith("250 ");
        assertThat(authResults(delivered(recorder, "expired"))).contains(
                " dkim=fail reason=\"signature expired\" header.d=good.test header.s=r1 header.a=rsa-sha256"
                        + " header.b=" + headerB(signed, 0) + ";"
                        + " dmarc=pass (p=reject) header.from=good.test;");
    }

    @Test
    void spfSoftfailUnderQuarantineIsRecordedAndNeverRefused() throws Exception {
        String message = message("carol@soft.test", "softfail", "Hi.\r\n");
        assertThat(send(enforcer, "soft.test", "carol@soft.test", "postmaster@posthorn.test", message))
                .startsWith("250 2.0.0 Ok: queued as ");
        assertThat(authResults(delivered(enforcer, "softfail"))).isEqualTo("Authentication-Results: " + ID + ";"
                + " spf=softfail smtp.mailfrom=carol@soft.test;"
                + " spf=softfail smtp.helo=soft.test;"
                + " dkim=none;"
                + " dmarc=fail (p=quarantine) reason=\"SPF softfail for soft.test, no DKIM signature\""
                + " header.from=soft.test;"
                + " arc=none");
    }

    @Test
    void dnsFailureDuringSpfIsATemporaryErrorAndA451NeverA550() throws Exception {
        String message = message("dave@temp.test", "temperror", "Hi.\r\n");
        assertThat(send(recorder, "temp.test", "dave@temp.test", "postmaster@posthorn.test", message))
                .startsWith("250 ");
        assertThat(authResults(delivered(recorder, "temperror"))).isEqualTo("Authentication-Results: " + ID + ";"
                + " spf=temperror smtp.mailfrom=dave@temp.test;"
                + " spf=temperror smtp.helo=temp.test;"
                + " dkim=none;"
                + " dmarc=temperror (p=reject) reason=\"an aligned check failed temporarily\" header.from=temp.test;"
                + " arc=none");
        assertThat(send(enforcer, "temp.test", "dave@temp.test", "postmaster@posthorn.test", message))
                .isEqualTo("451 4.7.24 Temporary SPF error for temp.test, try again later");
    }

    @Test
    void spfFailWithoutSignatureIsRefusedUnderRejectWhenEnforcing() throws Exception {
        String message = message("eve@good.test", "forged", "Send me your password.\r\n");
        // good.test allows only 127.0.0.1: come from 127.0.0.3.
        try (SmtpWire wire = new SmtpWire(new java.net.Socket("127.0.0.1", enforcer.mxPort(),
                InetAddress.getByName("127.0.0.3"), 0))) {
            wire.reply();
            wire.command("EHLO evil.example");
            wire.command("MAIL FROM:<eve@good.test>");
            wire.command("RCPT TO:<postmaster@posthorn.test>");
            wire.command("DATA");
            wire.send(message + ".\r\n");
            assertThat(wire.reply()).isEqualTo("550 5.7.1 Message rejected: the DMARC policy of good.test says"
                    + " reject, and SPF fail for good.test, no DKIM signature");
            // The session goes on: the next transaction is judged afresh.
            assertThat(wire.command("RSET")).startsWith("250");
        }
    }

    @Test
    void twoFromFieldsCannotBeJudgedAndAreRefusedWhenEnforcing() throws Exception {
        String signed = dkimpySign(message("alice@good.test", "two authors", "Hi.\r\n"), goodRsa);
        String forged = "From: ceo@bank.example\r\n" + signed;
        assertThat(send(enforcer, "good.test", "alice@good.test", "postmaster@posthorn.test", forged))
                .isEqualTo("550 5.7.1 Message rejected: more than one From field, so DMARC cannot authenticate its"
                        + " author");
    }

    @Test
    void forwardedMessageWithAValidArcChainPassesArc() throws Exception {
        String original = dkimpySign(message("alice@good.test", "via list", "Meeting at 10.\r\n"), goodRsa);
        // The list changes the subject (breaking DKIM), records what it saw and seals.
        String listed = "Authentication-Results: forwarder.test; dkim=pass header.d=good.test; arc=none\r\n"
                + original.replace("Subject: via list", "Subject: [list] via list");
        String sealed = dkimpy.run(listed, "arcsign", "k1", "forwarder.test",
                AuthZone.dkimpyKey(forwarderRsa, dir).toString(), "forwarder.test");
        assertThat(sealed).startsWith("ARC-Seal: ");
        assertThat(send(recorder, "forwarder.test", "list@forwarder.test", "postmaster@posthorn.test", sealed))
                .startsWith("250 ");
        assertThat(authResults(delivered(recorder, "[list] via list"))).isEqualTo("Authentication-Results: " + ID
                + "; spf=pass smtp.mailfrom=list@forwarder.test;"
                + " spf=pass smtp.helo=forwarder.test;"
                + " dkim=fail reason=\"signature did not verify\" header.d=good.test header.s=r1 header.a=rsa-sha256"
                + " header.b=" + headerB(sealed, 0) + ";"
                + " dmarc=fail (p=reject) reason=\"SPF passed for forwarder.test, which is not aligned with good.test,"
                + " DKIM fail (signature did not verify)\" header.from=good.test;"
                + " arc=pass smtp.remote-ip=127.0.0.1");
    }

    @Test
    void authenticationResultsForgedWithOurIdAreRemovedOthersKept() throws Exception {
        String message = "Authentication-Results: " + ID + "; dkim=pass header.d=bank.example\r\n"
                + "Authentication-Results: MX.POSTHORN.TEST (forged in capitals);\r\n\tdmarc=pass\r\n"
                + "Authentication-Results: other.example; spf=pass smtp.mailfrom=x@other.example\r\n"
                + message("alice@good.test", "forged results", "Hi.\r\n");
        assertThat(send(recorder, "good.test", "alice@good.test", "postmaster@posthorn.test", message))
                .startsWith("250 ");
        String stored = delivered(recorder, "forged results");
        assertThat(authResults(stored)).contains("dkim=none;");
        assertThat(stored).doesNotContain("bank.example").doesNotContain("forged in capitals")
                .contains("\r\nAuthentication-Results: other.example; spf=pass smtp.mailfrom=x@other.example\r\n");
    }

    @Test
    void submittedMailIsSignedWithBothKeysAndDkimpyVerifiesBoth() throws Exception {
        String message = message("alice@posthorn.test", "signed submission", "From Alice.\r\n");
        try (SmtpWire tls = SmtpWire.submitting(recorder.port(ListenerRole.SUBMISSION), "alice@posthorn.test",
                "alice's password")) {
            tls.command("MAIL FROM:<alice@posthorn.test>");
            tls.command("RCPT TO:<postmaster@posthorn.test>");
            tls.command("DATA");
            tls.send(message + ".\r\n");
            assertThat(tls.reply()).startsWith("250 2.0.0 Ok: queued as ");
        }
        String stored = delivered(recorder, "signed submission");
        assertThat(stored).contains("a=ed25519-sha256; c=relaxed/relaxed; d=posthorn.test; s=ph1e;")
                .contains("a=rsa-sha256; c=relaxed/relaxed; d=posthorn.test; s=ph1r;")
                .contains("h=from:from:subject:date:message-id:to;");
        assertThat(dkimpy.run(stored, "verify")).isEqualTo("0 pass ed25519-sha256\n1 pass rsa-sha256\n");
    }

    @Test
    void relayedMailIsArcSealedAndDkimpyValidatesTheChain() throws Exception {
        String signed = dkimpySign(message("alice@good.test", "to relay", "Forward me.\r\n")
                .replace("To: postmaster@posthorn.test", "To: bob@relayed.test"), goodRsa);
        assertThat(send(recorder, "good.test", "alice@good.test", "bob@relayed.test", signed)).startsWith("250 ");
        ScriptedSmtpPeer.Received got = peer.take(Duration.ofSeconds(20));
        String relayed = Dkimpy.latin1(got.data());
        assertThat(relayed).startsWith("ARC-Seal: i=1; a=rsa-sha256; t=");
        assertThat(relayed).contains("cv=none;\r\n\td=posthorn.test; s=ph1r; b=");
        assertThat(relayed).contains("ARC-Authentication-Results: i=1; " + ID + ";\r\n\tspf=pass smtp.mailfrom=alice@good.test;");
        assertThat(dkimpy.run(relayed, "arcverify")).startsWith("cv=pass");
        assertThat(dkimpy.run(relayed, "verify")).isEqualTo("0 pass rsa-sha256\n");
    }

    @Test
    void theServersOwnBouncesAreSignedAndDkimpyVerifiesThem() throws Exception {
        peer.rcptReplies.put("nobody@relayed.test", "550 5.1.1 <nobody@relayed.test>: no such user");
        recorder.server().enqueue("alice@posthorn.test", List.of("nobody@relayed.test"),
                message("alice@posthorn.test", "will bounce", "Hello?\r\n").getBytes(StandardCharsets.UTF_8));
        String dsn = null;
        long deadline = System.currentTimeMillis() + 20_000;
        while (dsn == null && System.currentTimeMillis() < deadline) {
            for (Path file : recorder.messages("alice@posthorn.test")) {
                String text = Dkimpy.latin1(Files.readAllBytes(file));
                if (text.contains("From: Mail Delivery System <MAILER-DAEMON@" + ID + ">")) {
                    dsn = text;
                }
            }
            Thread.sleep(50);
        }
        assertThat(dsn).as("the bounce reached alice").isNotNull();
        assertThat(dsn).contains("DKIM-Signature: v=1; a=ed25519-sha256; c=relaxed/relaxed; d=posthorn.test; s=ph1e;");
        assertThat(dkimpy.run(dsn, "verify")).isEqualTo("0 pass ed25519-sha256\n1 pass rsa-sha256\n");
    }

    @Test
    void tlsReportsAreSignedForTheDomainOfTheirFromWithTheReportFieldsAndDkimpyVerifiesThem() throws Exception {
        var secure = recorder.server().secureDelivery();
        secure.collector().success(dev.posthorn.delivery.security.TlsRptCollector.Policy.none("reported.test"));
        assertThat(secure.sender().send(java.time.LocalDate.now(java.time.ZoneOffset.UTC))).isEqualTo(1);
        String report = null;
        long deadline = System.currentTimeMillis() + 20_000;
        while (report == null && System.currentTimeMillis() < deadline) {
            for (Path file : recorder.messages("postmaster@posthorn.test")) {
                String text = Dkimpy.latin1(Files.readAllBytes(file));
                if (text.contains("\r\nTLS-Report-Domain: reported.test\r\n")) {
                    report = text;
                }
            }
            Thread.sleep(50);
        }
        assertThat(report).as("the TLS report reached postmaster").isNotNull();
        // d= of the From's domain (DMARC alignment, RFC 8460 §5.3 asks for a DKIM signature), not of the host name,
        // and TLS-Report-Domain / TLS-Report-Submitter among the signed fields.
        assertThat(report).contains("From: TLS reports <tlsrpt@reports.test>")
                .contains("DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=reports.test; s=rp1;")
                .doesNotContain("d=posthorn.test; s=ph1");
        Matcher h = Pattern.compile("DKIM-Signature:[^\\n]*\\n(?:[ \\t][^\\n]*\\n)*").matcher(report);
        assertThat(h.find()).isTrue();
        assertThat(h.group().replaceAll("\\s", "")).contains(":tls-report-domain:tls-report-submitter;");
        assertThat(dkimpy.run(report, "verify")).isEqualTo("0 pass rsa-sha256\n");
    }

    @Test
    void aMessageLargeEnoughForItsOwnSpoolFileGetsTheFieldsOnTopToo() throws Exception {
        StringBuilder body = new StringBuilder();
        String line = "0123456789".repeat(7) + "\r\n";
        while (body.length() < 1_500_000) {
            body.append(line);
        }
        String signed = dkimpySign(message("alice@good.test", "large", body.toString()), goodRsa);
        assertThat(send(recorder, "good.test", "alice@good.test", "postmaster@posthorn.test", signed))
                .startsWith("250 2.0.0 Ok: queued as ");
        String stored = delivered(recorder, "large");
        assertThat(stored).startsWith("Return-Path: <alice@good.test>\r\nDelivered-To: postmaster@posthorn.test\r\n"
                + "Authentication-Results: " + ID + ";\r\n\tspf=pass smtp.mailfrom=alice@good.test;");
        assertThat(authResults(stored)).contains(" dkim=pass header.d=good.test header.s=r1");
        assertThat(stored.indexOf("\r\nReceived: from good.test")).isGreaterThan(0);
        assertThat(stored).endsWith(signed);
    }

    @Test
    void aUtf8SenderRecordedInTheSealKeepsTheChainValid() throws Exception {
        String message = message("alice@good.test", "utf8 relay", "Grüße.\r\n").replace("To: postmaster@posthorn.test",
                "To: bob@relayed.test");
        try (SmtpWire wire = SmtpWire.connect(recorder.mxPort())) {
            wire.reply();
            wire.command("EHLO good.test");
            assertThat(wire.command("MAIL FROM:<ålice@good.test> SMTPUTF8")).startsWith("250");
            assertThat(wire.command("RCPT TO:<bob@relayed.test>")).startsWith("250");
            wire.command("DATA");
            wire.send(message + ".\r\n");
            assertThat(wire.reply()).startsWith("250 ");
        }
        String relayed = new String(peer.take(Duration.ofSeconds(20)).data(), StandardCharsets.ISO_8859_1);
        String utf8 = new String(relayed.getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8);
        assertThat(utf8).contains("ARC-Authentication-Results: i=1; " + ID + ";\r\n\tspf=pass smtp.mailfrom=\"ålice@good.test\";");
        // ExternalTool writes stdin as UTF-8: hand it the decoded text so that dkimpy gets the very octets.
        assertThat(dkimpy.run(utf8, "arcverify")).startsWith("cv=pass");
    }
}
