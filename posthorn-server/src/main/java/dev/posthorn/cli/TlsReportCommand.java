package dev.posthorn.cli;

import dev.posthorn.delivery.security.TlsReport;
import dev.posthorn.delivery.security.TlsRptCollector;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code posthorn tls-report [--date DAY] [--json]}: the day's outbound TLS figures (RFC 8460) per policy domain:
 * sessions that met their policy, and failures by result type, MX host and address. A running server saves them
 * every 30 seconds and at shutdown.
 */
@Command(name = "tls-report", mixinStandardHelpOptions = true,
        description = "Show a day's outbound TLS figures (RFC 8460): per receiving domain and policy, the successful "
                + "sessions and the failures by result type.")
final class TlsReportCommand implements Callable<Integer> {

    @Option(names = "--data-dir", paramLabel = "DIR", defaultValue = "posthorn-data",
            description = "the server's data directory (default: ${DEFAULT-VALUE})")
    Path dataDir;

    @Option(names = "--date", paramLabel = "YYYY-MM-DD", description = "the UTC day (default: today)")
    String date;

    @Option(names = "--json", description = "print each domain's report as the JSON of RFC 8460 §4.4")
    boolean json;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        LocalDate day;
        try {
            day = date == null ? LocalDate.now(ZoneOffset.UTC) : LocalDate.parse(date);
        } catch (DateTimeParseException e) {
            throw new ParameterException(spec.commandLine(), "--date '" + date + "' is not YYYY-MM-DD");
        }
        PrintWriter out = spec.commandLine().getOut();
        TlsRptCollector.Day figures = new TlsRptCollector(dataDir.resolve("tls-rpt"), Clock.systemUTC()).day(day);
        if (figures.policies.isEmpty()) {
            out.println("No outbound TLS sessions recorded for " + day + " (UTC) in " + dataDir.resolve("tls-rpt") + ".");
            return 0;
        }
        if (json) {
            figures.policies.stream().map(p -> p.domain).distinct().forEach(d -> out.println(
                    TlsReport.json(figures, d, "posthorn", "-", day + "_" + d).toPrettyString()));
            return 0;
        }
        out.println("Outbound TLS sessions on " + day + " (UTC)" + (figures.sent ? ", reports sent" : "") + ":");
        out.printf("%-32s %-16s %-28s %9s %9s%n", "DOMAIN", "POLICY", "MX", "SUCCESSES", "FAILURES");
        long ok = 0;
        long failed = 0;
        for (TlsRptCollector.PolicyFigures p : figures.policies) {
            String policy = p.type + p.strings.stream().filter(s -> s.startsWith("mode: ")).map(s -> " " + s.substring(6))
                    .findFirst().orElse("");
            out.printf("%-32s %-16s %-28s %9d %9d%n", p.domain, policy, p.mxHost == null ? "-" : p.mxHost, p.successes,
                    p.failureCount());
            for (TlsRptCollector.FailureFigures f : p.failures) {
                out.printf("    %d × %s  %s%s%s%n", f.count, f.resultType, f.mxHost == null ? "" : f.mxHost,
                        f.receivingIp == null ? "" : " [" + f.receivingIp + "]", f.detail == null ? "" : ": " + f.detail);
            }
            ok += p.successes;
            failed += p.failureCount();
        }
        out.println(ok + " successful session(s), " + failed + " failed.");
        return 0;
    }
}
