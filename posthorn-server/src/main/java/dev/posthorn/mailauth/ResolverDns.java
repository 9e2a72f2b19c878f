package dev.posthorn.mailauth;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.MXRecord;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.PTRRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Resolver;
import org.xbill.DNS.Section;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.TextParseException;

/**
 * {@link AuthDns} over a dnsjava {@link Resolver} (the configured {@code [dns] servers}, with their time-outs),
 * for one message: answers are cached, CNAMEs followed, and no question waits past the deadline (the resolver's
 * own retries can take longer: the wait is cut, not the resolver trusted). Each check gets its own deadline
 * through {@link #until}, sharing the cache, so one sender's slow records cannot spend another check's time.
 * When a question goes unanswered before anything at all has been answered for the message, the resolver is
 * taken for dead and every later question of the message fails at once: a dead resolver costs the first
 * check's time, not every check's. Not shared between threads.
 */
public final class ResolverDns implements AuthDns {

    private static final int MAX_CNAME_CHAIN = 8;

    /**
     * What the per-check views of one message share (or the domains of one DNS page, checked concurrently: hence
     * a concurrent cache and volatile flags), and what running out of time is called to the reader.
     */
    private static final class Shared {
        final Map<String, DnsAnswer> cache = new java.util.concurrent.ConcurrentHashMap<>();
        final java.util.concurrent.atomic.AtomicInteger queries = new java.util.concurrent.atomic.AtomicInteger();
        volatile boolean answered;
        volatile boolean dead;
        final String work;

        Shared(String work) {
            this.work = work;
        }
    }

    private final Resolver resolver;
    private final Clock clock;
    private final Instant deadline;
    private final Shared shared;

    public ResolverDns(Resolver resolver, Clock clock, Instant deadline) {
        this(resolver, clock, deadline, new Shared("authentication checks"));
    }

    /**
     * DNS for another kind of work than a message's authentication checks: {@code work} names it in the reasons
     * of temporary failures ("the time for {work} ran out before asking ..."). Safe to share between threads.
     */
    public ResolverDns(Resolver resolver, Clock clock, Instant deadline, String work) {
        this(resolver, clock, deadline, new Shared(work));
    }

    private ResolverDns(Resolver resolver, Clock clock, Instant deadline, Shared shared) {
        this.resolver = resolver;
        this.clock = clock;
        this.deadline = deadline;
        this.shared = shared;
    }

    /** The same message's DNS (cache, count, liveness) with another deadline, for one check. */
    public ResolverDns until(Instant checkDeadline) {
        return new ResolverDns(resolver, clock, checkDeadline, shared);
    }

    /** Questions actually sent (cache misses), for logs and tests. */
    public int queries() {
        return shared.queries.get();
    }

    @Override
    public DnsAnswer query(String name, int type) {
        String key = type + " " + name.toLowerCase(Locale.ROOT);
        DnsAnswer cached = shared.cache.get(key);
        if (cached != null) {
            return cached;
        }
        DnsAnswer answer = ask(name, type);
        if (!(answer instanceof DnsAnswer.TempError)) {
            shared.cache.put(key, answer); // a question cut short by one check's deadline may be asked by the next
        }
        return answer;
    }

    /**
     * Sends one question and waits for it no longer than the deadline; the resolver runs on a virtual thread
     * that ends on the resolver's own time-outs.
     */
    private Message send(Message query, String domain) throws IOException, TimeoutException {
        long millis = Duration.between(clock.instant(), deadline).toMillis();
        if (millis <= 0) {
            throw new TimeoutException();
        }
        CompletableFuture<Message> reply = new CompletableFuture<>();
        Thread.ofVirtual().name("dns " + domain).start(() -> {
            try {
                reply.complete(resolver.send(query));
            } catch (Throwable e) {
                reply.completeExceptionally(e);
            }
        });
        try {
            Message response = reply.get(millis, TimeUnit.MILLISECONDS);
            shared.answered = true;
            return response;
        } catch (TimeoutException e) {
            if (!shared.answered) {
                shared.dead = true;
            }
            throw e;
        } catch (ExecutionException e) {
            if (!shared.answered) {
                shared.dead = true; // the resolver gave up (its time-outs and retries): not answering
            }
            throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted");
        }
    }

    private DnsAnswer ask(String domain, int type) {
        Name current;
        try {
            current = Name.fromString(domain.endsWith(".") ? domain : domain + ".");
        } catch (TextParseException e) {
            // Not a name DNS can carry (too long, empty label): nothing can be published there.
            return new DnsAnswer.NoRecords(true);
        }
        for (int hop = 0; hop < MAX_CNAME_CHAIN; hop++) {
            if (shared.dead) {
                return new DnsAnswer.TempError("the DNS resolver did not answer the first questions of the "
                        + shared.work);
            }
            if (!clock.instant().isBefore(deadline)) {
                return new DnsAnswer.TempError("the time for the " + shared.work + " ran out before asking " + domain);
            }
            Message response;
            try {
                shared.queries.incrementAndGet();
                response = send(Message.newQuery(Record.newRecord(current, type, DClass.IN)), domain);
            } catch (TimeoutException e) {
                return new DnsAnswer.TempError("no DNS answer in time for " + domain);
            } catch (IOException e) {
                return new DnsAnswer.TempError("DNS query for " + domain + " failed: " + e.getMessage());
            }
            int rcode = response.getRcode();
            if (rcode == Rcode.NXDOMAIN) {
                return new DnsAnswer.NoRecords(true);
            }
            if (rcode != Rcode.NOERROR) {
                return new DnsAnswer.TempError("DNS query for " + domain + " answered " + Rcode.string(rcode));
            }
            List<String> values = new ArrayList<>();
            Name target = null;
            for (Record r : response.getSection(Section.ANSWER)) {
                if (r.getType() == type && r.getName().equals(current)) {
                    values.add(text(r));
                } else if (r instanceof CNAMERecord c && c.getName().equals(current)) {
                    target = c.getTarget();
                }
            }
            if (!values.isEmpty()) {
                return new DnsAnswer.Records(values);
            }
            if (target == null) {
                return new DnsAnswer.NoRecords(false);
            }
            current = target;
        }
        return new DnsAnswer.TempError("CNAME chain too long at " + domain);
    }

    private static String text(Record r) {
        return switch (r) {
            case TXTRecord txt -> {
                // The character-strings joined with nothing between them (RFC 6376 §3.6.2.2, RFC 7208 §3.3),
                // as octets: DNS TXT data is not text to dnsjava's escaping.
                StringBuilder s = new StringBuilder();
                for (byte[] part : txt.getStringsAsByteArrays()) {
                    s.append(new String(part, StandardCharsets.ISO_8859_1));
                }
                yield s.toString();
            }
            case ARecord a -> a.getAddress().getHostAddress();
            case AAAARecord a -> a.getAddress().getHostAddress();
            case MXRecord mx -> stripDot(mx.getTarget());
            case PTRRecord ptr -> stripDot(ptr.getTarget());
            default -> r.rdataToString();
        };
    }

    private static String stripDot(Name name) {
        String s = name.toString();
        return s.endsWith(".") && s.length() > 1 ? s.substring(0, s.length() - 1) : s;
    }
}
