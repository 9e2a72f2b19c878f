package dev.posthorn.delivery.security;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.zip.GZIPOutputStream;

/**
 * A TLS report for one policy domain and one UTC day in the JSON format of RFC 8460 §4.4, and its gzip form for
 * the mail (§5.3).
 */
public final class TlsReport {

    private TlsReport() {
    }

    /**
     * @param organization "organization-name": who sends the report
     * @param contact      "contact-info": an address for questions about it
     */
    public static ObjectNode json(TlsRptCollector.Day day, String domain, String organization, String contact,
                                  String reportId) {
        ObjectNode root = TlsRptCollector.JSON.createObjectNode();
        root.put("organization-name", organization);
        ObjectNode range = root.putObject("date-range");
        range.put("start-datetime", day.day.atStartOfDay(ZoneOffset.UTC).toInstant().toString());
        range.put("end-datetime", day.day.plusDays(1).atStartOfDay(ZoneOffset.UTC).minusSeconds(1).toInstant().toString());
        root.put("contact-info", contact);
        root.put("report-id", reportId);
        ArrayNode policies = root.putArray("policies");
        for (TlsRptCollector.PolicyFigures p : day.policies) {
            if (!p.domain.equalsIgnoreCase(domain)) {
                continue;
            }
            ObjectNode entry = policies.addObject();
            ObjectNode policy = entry.putObject("policy");
            policy.put("policy-type", p.type);
            if (!p.strings.isEmpty()) {
                ArrayNode strings = policy.putArray("policy-string");
                p.strings.forEach(strings::add);
            }
            policy.put("policy-domain", p.domain);
            if (p.mxHost != null) {
                policy.put("mx-host", p.mxHost);
            }
            ObjectNode summary = entry.putObject("summary");
            summary.put("total-successful-session-count", p.successes);
            summary.put("total-failure-session-count", p.failureCount());
            if (!p.failures.isEmpty()) {
                ArrayNode details = entry.putArray("failure-details");
                for (TlsRptCollector.FailureFigures f : p.failures) {
                    ObjectNode d = details.addObject();
                    d.put("result-type", f.resultType);
                    if (f.mxHost != null) {
                        d.put("receiving-mx-hostname", f.mxHost);
                    }
                    if (f.receivingIp != null) {
                        d.put("receiving-ip", f.receivingIp);
                    }
                    d.put("failed-session-count", f.count);
                    if (f.detail != null) {
                        d.put("failure-reason-code", f.detail);
                    }
                }
            }
        }
        return root;
    }

    public static byte[] gzip(ObjectNode report) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(TlsRptCollector.JSON.writeValueAsBytes(report));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** RFC 8460 §5.3 file name: {@code submitter!policy-domain!begin!end.json.gz}, times in seconds since the epoch. */
    public static String fileName(String submitter, String domain, LocalDate day) {
        long begin = day.atStartOfDay(ZoneOffset.UTC).toEpochSecond();
        long end = day.plusDays(1).atStartOfDay(ZoneOffset.UTC).toEpochSecond() - 1;
        return submitter + "!" + domain + "!" + begin + "!" + end + ".json.gz";
    }
}
