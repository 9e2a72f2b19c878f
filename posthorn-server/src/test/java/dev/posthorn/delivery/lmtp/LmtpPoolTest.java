package dev.posthorn.delivery.lmtp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.posthorn.delivery.fixtures.ScriptedSmtpPeer;
import dev.posthorn.delivery.lmtp.RecipientResult.Status;
import dev.posthorn.delivery.remote.ClientSettings;
import dev.posthorn.delivery.remote.SmtpClientException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The connection pool of {@link LmtpClient} under several threads, against a scripted LMTP peer that counts the
 * connections it holds: the bound on connections, the bounded wait for a free one, and a {@code close()} at
 * shutdown that neither loses a message nor waits for a server that does not answer.
 */
@Timeout(60)
class LmtpPoolTest {

    private static final byte[] CONTENT = "Subject: hi\r\n\r\nHello.\r\n".getBytes(StandardCharsets.US_ASCII);

    private static LmtpMessage message(String rcpt) {
        return LmtpMessage.of("s@origin.test", List.of(rcpt), CONTENT);
    }

    /** Runs {@code threads} senders until each has made {@code perThread} deliveries or the client is closed. */
    private record Senders(List<Thread> threads, AtomicInteger delivered, AtomicInteger deferred,
                           ConcurrentLinkedQueue<Throwable> thrown, CountDownLatch done) {
        static Senders start(LmtpClient client, int threads, int perThread) {
            Senders s = new Senders(new ArrayList<>(), new AtomicInteger(), new AtomicInteger(),
                    new ConcurrentLinkedQueue<>(), new CountDownLatch(threads));
            for (int t = 0; t < threads; t++) {
                int thread = t;
                s.threads.add(Thread.ofPlatform().start(() -> {
                    try {
                        for (int i = 0; i < perThread; i++) {
                            RecipientResult r = client.deliver(message("r" + thread + "x" + i + "@peer.test")).get(0);
                            (r.status() == Status.DELIVERED ? s.delivered : s.deferred).incrementAndGet();
                        }
                    } catch (Throwable e) {
                        s.thrown.add(e);
                    } finally {
                        s.done.countDown();
                    }
                }));
            }
            return s;
        }
    }

    @Test
    void eightThreadsShareAtMostTheConfiguredConnections() throws Exception {
        try (ScriptedSmtpPeer peer = ScriptedSmtpPeer.start()) {
            peer.lmtp = true;
            peer.replyDelay = Duration.ofMillis(1);
            try (LmtpClient client = new LmtpClient(LmtpEndpoint.parse("lmtp:127.0.0.1:" + peer.port()),
                    ClientSettings.uniform("client.test", Duration.ofSeconds(20)), Duration.ofSeconds(30), 2,
                    Clock.systemUTC())) {
                Senders s = Senders.start(client, 8, 15);
                assertThat(s.done().await(45, TimeUnit.SECONDS)).isTrue();
                assertThat(s.thrown()).isEmpty();
                assertThat(s.delivered().get()).isEqualTo(8 * 15);
            }
            assertThat(peer.received).hasSize(8 * 15);
            assertThat(peer.maxActive.get()).isBetween(1, 2);
        }
    }

    @Test
    void aDeliveryWaitsForAFreeConnectionAtMostTheConnectTimeOut() throws Exception {
        try (ScriptedSmtpPeer peer = ScriptedSmtpPeer.start()) {
            peer.lmtp = true;
            peer.lmtpRepliesBeforeFailure = 0;
            peer.lmtpStallInsteadOfHangUp = true; // the first delivery holds the only connection
            ClientSettings settings = new ClientSettings("client.test", Duration.ofMillis(500), Duration.ofSeconds(5),
                    Duration.ofSeconds(5), Duration.ofSeconds(5), Duration.ofSeconds(5), Duration.ofSeconds(20));
            try (LmtpClient client = new LmtpClient(LmtpEndpoint.parse("lmtp:127.0.0.1:" + peer.port()), settings,
                    Duration.ofSeconds(30), 1, Clock.systemUTC())) {
                CompletableFuture<List<RecipientResult>> first = CompletableFuture.supplyAsync(() -> {
                    try {
                        return client.deliver(message("a@peer.test"));
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                });
                peer.take(Duration.ofSeconds(10)); // the peer has the data: the connection is busy
                long start = System.nanoTime();
                assertThatThrownBy(() -> client.deliver(message("b@peer.test")))
                        .isInstanceOfSatisfying(SmtpClientException.class, e -> assertThat(e.reply().oneLine())
                                .startsWith("451 4.4.5 All 1 connections to the LMTP server at lmtp:127.0.0.1:"));
                long waited = (System.nanoTime() - start) / 1_000_000;
                assertThat(waited).isBetween(450L, 5_000L);
                assertThat(peer.connections.get()).isEqualTo(1);
                client.close(); // cuts the stalled delivery: its recipient is deferred, not lost
                assertThat(first.get(10, TimeUnit.SECONDS).get(0).status()).isEqualTo(Status.DEFERRED);
            }
        }
    }

    @Test
    void closeInTheMiddleOfManyDeliveriesEndsThemAndLosesNoAcceptedMessage() throws Exception {
        try (ScriptedSmtpPeer peer = ScriptedSmtpPeer.start()) {
            peer.lmtp = true;
            peer.replyDelay = Duration.ofMillis(2);
            LmtpClient client = new LmtpClient(LmtpEndpoint.parse("lmtp:127.0.0.1:" + peer.port()),
                    ClientSettings.uniform("client.test", Duration.ofSeconds(20)));
            Senders s = Senders.start(client, 8, 10_000);
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (s.delivered().get() < 40 && System.nanoTime() < until) {
                Thread.sleep(5);
            }
            assertThat(s.delivered().get()).isGreaterThanOrEqualTo(40);
            client.close();
            assertThat(s.done().await(10, TimeUnit.SECONDS)).as("every sender ends soon after close()").isTrue();
            // Each sender stops on the client's IllegalStateException (closed), never on anything else.
            assertThat(s.thrown()).hasSize(8).allSatisfy(e -> assertThat(e).isInstanceOf(IllegalStateException.class));
            // Every delivery reported done reached the server; the only surplus is what was in flight at the cut.
            int received = peer.received.size();
            assertThat(received).isBetween(s.delivered().get(), s.delivered().get() + 8);
            until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (peer.active.get() > 0 && System.nanoTime() < until) {
                Thread.sleep(10);
            }
            assertThat(peer.active.get()).as("connections left open after close()").isZero();
            assertThat(peer.maxActive.get()).isLessThanOrEqualTo(LmtpClient.DEFAULT_MAX_CONNECTIONS);
        }
    }

    @Test
    void closeCutsAConnectionWaitingForAGreetingThatNeverComes() throws Exception {
        try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            List<Socket> accepted = new ArrayList<>();
            Thread.ofVirtual().start(() -> {
                try {
                    while (true) {
                        Socket s = silent.accept(); // says nothing
                        synchronized (accepted) {
                            accepted.add(s);
                        }
                    }
                } catch (Exception closed) {
                    // the test is over
                }
            });
            LmtpClient client = new LmtpClient(LmtpEndpoint.parse("lmtp:127.0.0.1:" + silent.getLocalPort()),
                    ClientSettings.uniform("client.test", Duration.ofSeconds(30)));
            CompletableFuture<Throwable> delivery = CompletableFuture.supplyAsync(() -> {
                try {
                    client.deliver(message("a@peer.test"));
                    return null;
                } catch (Throwable e) {
                    return e;
                }
            });
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (client.opening() == 0 && System.nanoTime() < until) {
                Thread.sleep(5);
            }
            assertThat(client.opening()).isEqualTo(1);
            long start = System.nanoTime();
            client.close();
            // Not the 30 s of the greeting time-out: the shutdown does not wait for a server that does not speak.
            assertThat(delivery.get(5, TimeUnit.SECONDS)).isInstanceOf(IllegalStateException.class);
            assertThat((System.nanoTime() - start) / 1_000_000).isLessThan(5_000);
            synchronized (accepted) {
                for (Socket s : accepted) {
                    s.close();
                }
            }
        }
    }
}
