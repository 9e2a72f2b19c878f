package dev.posthorn.delivery.lmtp;

import dev.posthorn.delivery.remote.RemoteReply;
import dev.posthorn.delivery.remote.SmtpClientException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Resolves the host of a TCP endpoint within a time limit. The JDK's lookup ({@code getaddrinfo}) has no time-out
 * of its own and can block for as long as the system resolver retries (tens of seconds with an unreachable name
 * server): it runs on a daemon thread, and the caller stops waiting when the connect time-out has passed or the
 * {@link OpenAttempt} is cut.
 */
final class BoundedResolver {

    /** The lookup itself, replaceable in tests by a slow or failing one. */
    @FunctionalInterface
    interface Lookup {
        InetAddress resolve(String host) throws UnknownHostException;
    }

    static final Lookup SYSTEM = InetAddress::getByName;

    private BoundedResolver() {
    }

    /**
     * @throws SmtpClientException with a synthesised {@code 451 4.4.1} (RFC 3463: no answer from host) when the
     *                             name does not resolve or the lookup takes longer than {@code timeout}
     */
    static InetAddress resolve(Lookup lookup, String host, Duration timeout, String endpoint, OpenAttempt attempt)
            throws SmtpClientException {
        FutureTask<InetAddress> task = new FutureTask<>(() -> lookup.resolve(host));
        Thread.ofPlatform().daemon().name("lmtp-resolve-" + host).start(task);
        // A cut (the client closing) stops the wait at once; the next step's watch replaces this one.
        attempt.watch(() -> task.cancel(true), endpoint);
        try {
            return task.get(Math.max(1, timeout.toNanos()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            task.cancel(true); // the lookup thread ends by itself when the system resolver gives up
            throw new SmtpClientException(RemoteReply.local(451, "4.4.1", "Cannot connect to the LMTP server at "
                    + endpoint + ": resolving " + host + " timed out after " + timeout.toMillis() + " ms"), "resolve", e);
        } catch (CancellationException e) {
            throw new SmtpClientException(RemoteReply.local(451, "4.4.2", "Opening the connection to the LMTP server at "
                    + endpoint + " was cut (the client is closing)"), "cut", e);
        } catch (ExecutionException e) {
            throw new SmtpClientException(RemoteReply.local(451, "4.4.1", "Cannot resolve the LMTP host of " + endpoint
                    + ": " + e.getCause().getMessage()), "resolve", e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            task.cancel(true);
            throw new SmtpClientException(RemoteReply.local(451, "4.4.1", "Interrupted while resolving the LMTP host of "
                    + endpoint), "resolve", e);
        }
    }
}
