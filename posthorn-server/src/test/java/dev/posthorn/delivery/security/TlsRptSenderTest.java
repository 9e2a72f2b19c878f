package dev.posthorn.delivery.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.posthorn.delivery.DnsConfig;
import dev.posthorn.delivery.fixtures.UnboundServer;
import dev.posthorn.delivery.remote.MxResolver;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Who gets the daily TLS reports (RFC 8460 §3, §4.1): the {@code mailto:} addresses of the policy domain's
 * {@code _smtp._tls} record, each once, one report per domain per day, none for a domain that asks for none.
 */
@Timeout(60)
class TlsRptSenderTest {

    @TempDir
    Path dir;

    record Sent(String to, String message) {
    }

    @Test
    void eachAddressOfTheRuaGetsOneReportPerDomainPerDayAndDomainsWithoutRuaGetNone() throws Exception {
        try (UnboundServer dns = UnboundServer.start(Files.createDirectories(dir.resolve("dns")), List.of("rpt.test."),
                List.of("_smtp._tls.a.rpt.test. TXT \"v=TLSRPTv1; rua=mailto:tlsrpt@a.rpt.test,mailto:TLSRPT@a.rpt.test,"
                                + "mailto:other@b.rpt.test\"",
                        "_smtp._tls.web.rpt.test. TXT \"v=TLSRPTv1; rua=https://reports.rpt.test/v1\"",
                        "norua.rpt.test. A 127.0.0.1"))) {
            DnsConfig c = new DnsConfig();
            c.servers = List.of(dns.address());
            Instant now = Instant.parse("2026-03-04T10:00:00Z");
            TlsRptCollector collector = new TlsRptCollector(dir.resolve("tls-rpt"), Clock.fixed(now, ZoneOffset.UTC));
            collector.success(TlsRptCollector.Policy.none("a.rpt.test"));
            collector.success(new TlsRptCollector.Policy("A.RPT.TEST", TlsRptCollector.Policy.STS,
                    List.of("version: STSv1", "mode: testing", "mx: mx.a.rpt.test", "max_age: 86400"), "mx.a.rpt.test"));
            collector.success(TlsRptCollector.Policy.none("norua.rpt.test"));
            collector.success(TlsRptCollector.Policy.none("web.rpt.test"));
            List<Sent> sent = new ArrayList<>();
            TlsRptSender sender = new TlsRptSender(collector, DnsLookup.plain(MxResolver.resolverFor(c)),
                    (to, m) -> sent.add(new Sent(to, new String(m, StandardCharsets.US_ASCII))), "mx.posthorn.test",
                    "tlsrpt@posthorn.test", "postmaster@posthorn.test", Clock.fixed(now, ZoneOffset.UTC));
            LocalDate day = LocalDate.of(2026, 3, 4);

            assertThat(sender.send(day)).isEqualTo(2);
            // a.rpt.test's figures (both policies, whatever the case of the name) in one report, to each address
            // once: the same address in another case is the same mailbox.
            assertThat(sent).extracting(Sent::to).containsExactly("tlsrpt@a.rpt.test", "other@b.rpt.test");
            assertThat(sent).allSatisfy(s -> assertThat(s.message()).contains(
                    "From: TLS reports <tlsrpt@posthorn.test>\r\n", "TLS-Report-Domain: a.rpt.test\r\n"));
            assertThat(sent.get(0).message()).isEqualTo(sent.get(1).message());

            // Asked again for the same day (a restart, a second run): nothing more goes out.
            assertThat(sender.send(day)).isZero();
            assertThat(sent).hasSize(2);
        }
    }

    @Test
    void aDomainWhoseRuaCannotBeLookedUpIsReportedLaterAndTheOthersNotAgain() throws Exception {
        Instant now = Instant.parse("2026-03-05T10:00:00Z");
        LocalDate day = LocalDate.of(2026, 3, 5);
        TlsRptCollector collector = new TlsRptCollector(dir.resolve("tls-rpt"), Clock.fixed(now, ZoneOffset.UTC));
        collector.success(TlsRptCollector.Policy.none("a.rpt.test"));
        collector.success(TlsRptCollector.Policy.none("late.rpt.test"));
        List<Sent> sent = new ArrayList<>();
        String a = "_smtp._tls.a.rpt.test. TXT \"v=TLSRPTv1; rua=mailto:tlsrpt@a.rpt.test\"";
        // First the resolver refuses every question about late.rpt.test: its report cannot be addressed yet.
        try (UnboundServer refusing = UnboundServer.start(Files.createDirectories(dir.resolve("dns1")),
                List.of("rpt.test.", "late.rpt.test. always_refuse"), List.of(a))) {
            TlsRptSender sender = sender(collector, refusing, sent, now);
            assertThat(sender.send(day)).isEqualTo(1);
            assertThat(sender.send(day)).as("a second run while late.rpt.test still fails").isZero();
        }
        assertThat(sent).extracting(Sent::to).containsExactly("tlsrpt@a.rpt.test");
        try (UnboundServer mended = UnboundServer.start(Files.createDirectories(dir.resolve("dns2")), List.of("rpt.test."),
                List.of(a, "_smtp._tls.late.rpt.test. TXT \"v=TLSRPTv1; rua=mailto:reports@late.rpt.test\""))) {
            TlsRptSender sender = sender(collector, mended, sent, now);
            assertThat(sender.send(day)).isEqualTo(1);
            assertThat(sender.send(day)).as("the day is done").isZero();
        }
        assertThat(sent).extracting(Sent::to).containsExactly("tlsrpt@a.rpt.test", "reports@late.rpt.test");
        assertThat(sent.get(1).message()).contains("TLS-Report-Domain: late.rpt.test\r\n");
    }

    @Test
    void aReportThatCouldNotBeQueuedIsTriedAgainAtTheNextRun() throws Exception {
        try (UnboundServer dns = UnboundServer.start(Files.createDirectories(dir.resolve("dns")), List.of("rpt.test."),
                List.of("_smtp._tls.a.rpt.test. TXT \"v=TLSRPTv1; rua=mailto:tlsrpt@a.rpt.test\""))) {
            Instant now = Instant.parse("2026-03-04T10:00:00Z");
            TlsRptCollector collector = new TlsRptCollector(dir.resolve("tls-rpt"), Clock.fixed(now, ZoneOffset.UTC));
            collector.success(TlsRptCollector.Policy.none("a.rpt.test"));
            List<Sent> sent = new ArrayList<>();
            Set<String> full = new HashSet<>(Set.of("tlsrpt@a.rpt.test"));
            TlsRptSender sender = sender(collector, dns, failingFor(full, sent), now);
            LocalDate day = LocalDate.of(2026, 3, 4);

            assertThat(sender.send(day)).as("the queue refused the report (full disk)").isZero();
            full.clear(); // the operator frees space
            assertThat(sender.send(day)).as("the report that could not be queued, on the next run").isEqualTo(1);
            assertThat(sender.send(day)).as("and then never again").isZero();
            assertThat(sent).extracting(Sent::to).containsExactly("tlsrpt@a.rpt.test");
        }
    }

    @Test
    void afterARestartOnlyTheAddressesNotYetQueuedGetTheDaysReport() throws Exception {
        try (UnboundServer dns = UnboundServer.start(Files.createDirectories(dir.resolve("dns")), List.of("rpt.test."),
                List.of("_smtp._tls.a.rpt.test. TXT \"v=TLSRPTv1; rua=mailto:one@a.rpt.test,mailto:two@a.rpt.test,"
                        + "mailto:three@a.rpt.test\""))) {
            Instant yesterday = Instant.parse("2026-03-04T10:00:00Z");
            Instant now = Instant.parse("2026-03-05T00:20:00Z");
            TlsRptCollector counting = new TlsRptCollector(dir.resolve("tls-rpt"), Clock.fixed(yesterday, ZoneOffset.UTC));
            counting.success(TlsRptCollector.Policy.none("a.rpt.test"));
            counting.flush();
            List<Sent> sent = new ArrayList<>();
            // The spool refuses the report for two of the three addresses (it closed, the journal went unhealthy).
            Set<String> refused = new HashSet<>(Set.of("two@a.rpt.test", "three@a.rpt.test"));
            TlsRptCollector collector = new TlsRptCollector(dir.resolve("tls-rpt"), Clock.fixed(now, ZoneOffset.UTC));
            sender(collector, dns, failingFor(refused, sent), now).sendDue();
            assertThat(sent).extracting(Sent::to).containsExactly("one@a.rpt.test");
            assertThat(collector.unsentDaysBefore(LocalDate.of(2026, 3, 5))).containsExactly(LocalDate.of(2026, 3, 4));

            // A restart (new collector reading the same files), the spool healthy again: the two others, once.
            refused.clear();
            TlsRptCollector restarted = new TlsRptCollector(dir.resolve("tls-rpt"), Clock.fixed(now, ZoneOffset.UTC));
            TlsRptSender sender = sender(restarted, dns, failingFor(refused, sent), now);
            sender.sendDue();
            sender.sendDue();
            assertThat(sent).extracting(Sent::to).containsExactly("one@a.rpt.test", "two@a.rpt.test", "three@a.rpt.test");
            assertThat(restarted.unsentDaysBefore(LocalDate.of(2026, 3, 5))).isEmpty();
        }
    }

    @Test
    void closeWaitsForTheReportBeingQueuedAndDoesNotInterruptIt() throws Exception {
        try (UnboundServer dns = UnboundServer.start(Files.createDirectories(dir.resolve("dns")), List.of("rpt.test."),
                List.of("_smtp._tls.a.rpt.test. TXT \"v=TLSRPTv1; rua=mailto:tlsrpt@a.rpt.test\""))) {
            Instant now = Instant.parse("2026-03-05T00:20:00Z");
            LocalDate yesterday = LocalDate.of(2026, 3, 4);
            TlsRptCollector collector = yesterdaysFigures(now);
            CountDownLatch queueing = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            List<Sent> sent = new java.util.concurrent.CopyOnWriteArrayList<>();
            TlsRptSender sender = sender(collector, dns, (to, m) -> {
                queueing.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    // What the spool's FileChannel does when its thread is interrupted mid-write.
                    throw new java.nio.channels.ClosedByInterruptException();
                }
                sent.add(new Sent(to, new String(m, StandardCharsets.US_ASCII)));
            }, now);
            sender.start();
            assertThat(queueing.await(30, TimeUnit.SECONDS)).isTrue();

            CompletableFuture<Void> closing = CompletableFuture.runAsync(sender::close);
            // close() must not return while the report is being queued (the spool closes right after it).
            assertThat(catchThrowable(() -> closing.get(500, TimeUnit.MILLISECONDS)))
                    .isInstanceOf(TimeoutException.class);
            release.countDown();
            closing.get(30, TimeUnit.SECONDS);
            assertThat(sent).extracting(Sent::to).containsExactly("tlsrpt@a.rpt.test");
            assertThat(collector.unsentDaysBefore(now.atZone(ZoneOffset.UTC).toLocalDate())).isEmpty();
            assertThat(collector.day(yesterday).sent).isTrue();
        }
    }

    @Test
    void aReportStillBeingQueuedWhenCloseGivesUpIsNotCountedAsSent() throws Exception {
        try (UnboundServer dns = UnboundServer.start(Files.createDirectories(dir.resolve("dns")), List.of("rpt.test."),
                List.of("_smtp._tls.a.rpt.test. TXT \"v=TLSRPTv1; rua=mailto:tlsrpt@a.rpt.test\""))) {
            Instant now = Instant.parse("2026-03-05T00:20:00Z");
            TlsRptCollector collector = yesterdaysFigures(now);
            CountDownLatch queueing = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            CountDownLatch returned = new CountDownLatch(1);
            TlsRptSender sender = sender(collector, dns, (to, m) -> {
                queueing.countDown();
                try {
                    release.await();
                    throw new IOException("spool closed"); // the spool closed while it waited
                } catch (InterruptedException e) {
                    throw new java.nio.channels.ClosedByInterruptException();
                } finally {
                    returned.countDown();
                }
            }, now);
            sender.start();
            assertThat(queueing.await(30, TimeUnit.SECONDS)).isTrue();
            sender.close(java.time.Duration.ofMillis(300));
            assertThat(collector.unsentDaysBefore(LocalDate.of(2026, 3, 5))).as("the mailer has not returned")
                    .containsExactly(LocalDate.of(2026, 3, 4));
            release.countDown();
            assertThat(returned.await(30, TimeUnit.SECONDS)).isTrue();
            assertThat(new TlsRptCollector(dir.resolve("tls-rpt"), Clock.fixed(now, ZoneOffset.UTC))
                    .unsentDaysBefore(LocalDate.of(2026, 3, 5))).as("retried at the next start")
                    .containsExactly(LocalDate.of(2026, 3, 4));
        }
    }

    private TlsRptCollector yesterdaysFigures(Instant now) {
        TlsRptCollector counting = new TlsRptCollector(dir.resolve("tls-rpt"),
                Clock.fixed(now.minus(java.time.Duration.ofHours(12)), ZoneOffset.UTC));
        counting.success(TlsRptCollector.Policy.none("a.rpt.test"));
        counting.flush();
        return new TlsRptCollector(dir.resolve("tls-rpt"), Clock.fixed(now, ZoneOffset.UTC));
    }

    /** A mailer like PosthornServer.queueNotice when the spool cannot take a message for some recipients. */
    private static TlsRptSender.Mailer failingFor(Set<String> refused, List<Sent> sent) {
        return (to, m) -> {
            if (refused.contains(to)) {
                throw new IOException("No space left on device");
            }
            sent.add(new Sent(to, new String(m, StandardCharsets.US_ASCII)));
        };
    }

    private static TlsRptSender sender(TlsRptCollector collector, UnboundServer dns, TlsRptSender.Mailer mailer,
                                       Instant now) {
        DnsConfig c = new DnsConfig();
        c.servers = List.of(dns.address());
        return new TlsRptSender(collector, DnsLookup.plain(MxResolver.resolverFor(c)), mailer, "mx.posthorn.test",
                "tlsrpt@posthorn.test", "postmaster@posthorn.test", Clock.fixed(now, ZoneOffset.UTC));
    }

    private static TlsRptSender sender(TlsRptCollector collector, UnboundServer dns, List<Sent> sent, Instant now) {
        DnsConfig c = new DnsConfig();
        c.servers = List.of(dns.address());
        return new TlsRptSender(collector, DnsLookup.plain(MxResolver.resolverFor(c)),
                (to, m) -> sent.add(new Sent(to, new String(m, StandardCharsets.US_ASCII))), "mx.posthorn.test",
                "tlsrpt@posthorn.test", "postmaster@posthorn.test", Clock.fixed(now, ZoneOffset.UTC));
    }
}
