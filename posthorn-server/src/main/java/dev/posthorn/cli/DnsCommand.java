package dev.posthorn.cli;

import dev.posthorn.codes.Catalogue;
import dev.posthorn.codes.LanguagePack;
import dev.posthorn.config.ConfigException;
import dev.posthorn.config.ConfigLoader;
import dev.posthorn.config.PosthornConfig;
import dev.posthorn.delivery.remote.MxResolver;
import dev.posthorn.mailauth.ResolverDns;
import dev.posthorn.policy.PgDkimKeys;
import dev.posthorn.mailauth.dkim.DkimKeys;
import dev.posthorn.store.StoreBackend;
import dev.posthorn.mailauth.records.DomainCheck;
import dev.posthorn.mailauth.records.DomainRecords;
import dev.posthorn.mailauth.records.ExpectedRecord;
import dev.posthorn.mailauth.records.Finding;
import dev.posthorn.mailauth.records.RecordTexts;
import dev.posthorn.server.SystemHostname;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code posthorn dns DOMAIN} prints the records a domain needs for this server (MX, SPF, DKIM, DMARC, PTR
 * advice), ready to paste; {@code posthorn dns check DOMAIN} looks them up through the configured resolvers and
 * says what is missing, wrong or truncated. Exit status: 0 when all is in order, 1 when something must be
 * fixed, 2 for bad usage.
 */
@Command(name = "dns", mixinStandardHelpOptions = true, subcommands = DnsCommand.Check.class,
        description = "Print the DNS records a domain needs for this server ('dns check' verifies them).")
public final class DnsCommand implements Callable<Integer> {

    /** Where the server's settings come from: the file, with flags on top. */
    static final class Setup {
        @Option(names = "--config", paramLabel = "FILE", description = "posthorn.toml to read (default: none)")
        Path config;
        @Option(names = "--data-dir", paramLabel = "DIR", description = "data directory (DKIM keys in dkim/ unless [store] is PostgreSQL)")
        Path dataDir;
        @Option(names = "--hostname", paramLabel = "NAME", description = "this server's host name (the MX)")
        String hostname;
        @Option(names = "--dns", paramLabel = "SERVER", description = "resolver to ask, host[:port] (repeatable)")
        List<String> servers;
        @Option(names = "--lang", paramLabel = "LANG", defaultValue = Catalogue.DEFAULT_LANGUAGE,
                description = "language of the explanations: en or tr (default: ${DEFAULT-VALUE})")
        String language;

        PosthornConfig load() throws ConfigException {
            return ConfigLoader.load(config, c -> {
                if (dataDir != null) {
                    c.server.dataDir = dataDir.toString();
                }
                if (hostname != null) {
                    c.server.hostname = hostname;
                }
                if (servers != null) {
                    c.dns.servers = servers;
                }
            });
        }
    }

    @Spec
    CommandSpec spec;
    @Mixin
    Setup setup;
    @Parameters(paramLabel = "DOMAIN", arity = "0..1", description = "the domain")
    String domain;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (domain == null) {
            spec.commandLine().usage(out);
            return 2;
        }
        Context context = Context.of(setup, err);
        if (context == null) {
            return 2;
        }
        String d = domain.toLowerCase(Locale.ROOT);
        RecordTexts texts = new RecordTexts(context.lang);
        out.println("; " + texts.header(d, context.hostname));
        DomainRecords.Addresses addresses = DomainRecords.lookup(context.hostname, context.dns());
        List<DkimKeys.KeyInfo> keys = context.keys(d, err);
        if (keys == null) {
            return 1;
        }
        for (ExpectedRecord record : DomainRecords.expected(d, context.hostname, keys, addresses.list())) {
            out.println();
            out.println("; " + texts.comment(record));
            out.println(record.zoneLine());
            String noDkim = texts.noDkim(d, keys);
            if (record.phrase().equals("dns.comment.spf") && noDkim != null) {
                out.println();
                out.println("; " + noDkim);
            }
        }
        String noAddress = texts.noAddress(context.hostname, addresses);
        if (noAddress != null) {
            out.println();
            out.println("; " + noAddress);
        }
        out.flush();
        return 0;
    }

    /** What both commands need: the host name, the resolver, the keys and the language. */
    record Context(String hostname, PosthornConfig config, LanguagePack lang) {

        static Context of(Setup setup, PrintWriter err) {
            PosthornConfig config;
            try {
                config = setup.load();
            } catch (ConfigException e) {
                err.println("posthorn dns: " + e.getMessage());
                err.flush();
                return null;
            }
            Optional<Catalogue> catalogue = CatalogueLoading.load(setup.language, err);
            if (catalogue.isEmpty()) {
                err.flush();
                return null;
            }
            String host = config.server.hostname.isEmpty() ? SystemHostname.get() : config.server.hostname;
            return new Context(host.toLowerCase(Locale.ROOT), config, catalogue.get().language());
        }

        ResolverDns dns() {
            return new ResolverDns(MxResolver.resolverFor(config.dns), Clock.systemUTC(),
                    Clock.systemUTC().instant().plus(Duration.ofMinutes(2)));
        }

        /** The domain's keys from the store {@code [store]} names: the data directory's files or the database. */
        List<DkimKeys.KeyInfo> keys(String domain, PrintWriter err) {
            Path dataDir = Path.of(config.server.dataDir);
            if (!config.store.isPostgresql()) {
                try {
                    return DkimKeys.under(dataDir).list(domain);
                } catch (IOException e) {
                    err.println("posthorn dns: cannot read DKIM keys: " + e.getMessage());
                    err.flush();
                    return null;
                }
            }
            try (StoreBackend backend = StoreBackend.openForCommand(config.store, dataDir, "dns")) {
                return PgDkimKeys.forStore(backend, dataDir).list(domain);
            } catch (IOException | java.io.UncheckedIOException e) { // a StoreException is an UncheckedIOException
                err.println("posthorn dns: cannot read DKIM keys: " + e.getMessage());
                err.flush();
                return null;
            }
        }
    }

    @Command(name = "check", mixinStandardHelpOptions = true,
            description = "Look the records up and say what is missing, wrong or truncated (exit 0: all in order).")
    static final class Check implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Mixin
        Setup setup;
        @Parameters(paramLabel = "DOMAIN", description = "the domain")
        String domain;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            Context context = Context.of(setup, err);
            if (context == null) {
                return 2;
            }
            String d = domain.toLowerCase(Locale.ROOT);
            List<DkimKeys.KeyInfo> keys = context.keys(d, err);
            if (keys == null) {
                return 1;
            }
            List<Finding> findings = DomainCheck.check(d, context.hostname, keys, context.dns());
            RecordTexts texts = new RecordTexts(context.lang);
            for (Finding f : findings) {
                out.printf("%-11s %-14s %s%n", texts.status(f.status()), f.record(), texts.explanation(f));
            }
            // Exit status 1 for a record to fix and for one that could not be checked (unchanged).
            int problems = RecordTexts.problems(findings) + RecordTexts.unchecked(findings);
            out.println();
            out.println(texts.summary(d, findings));
            out.flush();
            return problems == 0 ? 0 : 1;
        }
    }
}
