package dev.posthorn.mailauth;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
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
 * for one message: answers are cached, CNAMEs followed, and after the deadline every new question is a
 * temporary error. Not shared between threads.
 */
public final class ResolverDns implements AuthDns {

    private static final int MAX_CNAME_CHAIN = 8;

    private final Resolver resolver;
    private final Clock clock;
    private final Instant deadline;
    private final Map<String, DnsAnswer> cache = new HashMap<>();
    private int queries;

    public ResolverDns(Resolver resolver, Clock clock, Instant deadline) {
        this.resolver = resolver;
        this.clock = clock;
        this.deadline = deadline;
    }

    /** Questions actually sent (cache misses), for logs and tests. */
    public int queries() {
        return queries;
    }

    @Override
    public DnsAnswer query(String name, int type) {
        String key = type + " " + name.toLowerCase(Locale.ROOT);
        DnsAnswer cached = cache.get(key);
        if (cached != null) {
            return cached;
        }
        DnsAnswer answer = ask(name, type);
        cache.put(key, answer);
        return answer;
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
            if (clock.instant().isAfter(deadline)) {
                return new DnsAnswer.TempError("time for authentication checks used up before asking " + domain);
            }
            Message response;
            try {
                queries++;
                response = resolver.send(Message.newQuery(Record.newRecord(current, type, DClass.IN)));
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
