package dev.posthorn.mailauth.spf;

import dev.posthorn.mailauth.AuthDns;
import dev.posthorn.mailauth.DnsAnswer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.james.jspf.core.DNSRequest;
import org.apache.james.jspf.core.DNSService;
import org.apache.james.jspf.core.exceptions.TimeoutException;

/**
 * jSPF's DNS interface over {@link AuthDns}: the configured resolvers, the message's cache and deadline. No
 * records is "null" to jSPF; a temporary failure is its TimeoutException, which it turns into temperror
 * (RFC 7208 §5, §2.6.6), never into "none". One instance serves every check (building jSPF's parser costs
 * more than a check): the message's {@link AuthDns} is the one {@link #with} binds to the calling thread.
 */
final class JspfDns implements DNSService {

    private final ThreadLocal<AuthDns> current = new ThreadLocal<>();
    private int recordLimit = 10;

    /** Runs {@code check} with {@code dns} answering this thread's questions. */
    <T> T with(AuthDns dns, java.util.function.Supplier<T> check) {
        current.set(dns);
        try {
            return check.get();
        } finally {
            current.remove();
        }
    }

    @Override
    public List<String> getRecords(DNSRequest request) throws TimeoutException {
        int type = switch (request.getRecordType()) {
            case DNSRequest.A -> AuthDns.A;
            case DNSRequest.AAAA -> AuthDns.AAAA;
            case DNSRequest.MX -> AuthDns.MX;
            case DNSRequest.PTR -> AuthDns.PTR;
            case DNSRequest.TXT -> AuthDns.TXT;
            default -> -1; // the obsolete SPF RR type (RFC 7208 §14.1): not asked
        };
        if (type < 0) {
            return null;
        }
        String name = request.getHostname();
        AuthDns dns = current.get();
        if (dns == null) {
            throw new TimeoutException("no DNS bound to this SPF check");
        }
        return switch (dns.query(name.endsWith(".") ? name.substring(0, name.length() - 1) : name, type)) {
            case DnsAnswer.Records r -> new ArrayList<>(r.values());
            case DnsAnswer.NoRecords n -> null;
            case DnsAnswer.TempError t -> throw new TimeoutException(t.reason());
        };
    }

    @Override
    public CompletionStage<List<String>> getRecordsAsync(DNSRequest request) {
        try {
            return CompletableFuture.completedFuture(getRecords(request));
        } catch (TimeoutException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    @Override
    public List<String> getLocalDomainNames() {
        return List.of();
    }

    @Override
    public void setTimeOut(int seconds) {
        // The resolver's own time-outs and the message's deadline apply.
    }

    @Override
    public int getRecordLimit() {
        return recordLimit;
    }

    @Override
    public void setRecordLimit(int limit) {
        this.recordLimit = limit;
    }
}
