package dev.posthorn.cli;

import dev.posthorn.config.ConfigException;
import dev.posthorn.config.ConfigLoader;
import dev.posthorn.config.PosthornConfig;
import dev.posthorn.server.PosthornServer;
import dev.posthorn.server.Version;
import dev.posthorn.smtp.listener.SmtpListener;
import dev.posthorn.store.StoreException;
import dev.posthorn.web.ReferenceSite;
import dev.posthorn.web.WebServer;
import dev.posthorn.web.WebSettings;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code posthorn serve}: runs the server until SIGINT/SIGTERM. */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = "Run the SMTP server (embedded defaults: MX on 127.0.0.1:2525, web on 127.0.0.1:8025, data in ./posthorn-data).")
final class ServeCommand implements Callable<Integer> {

    @Option(names = "--config", paramLabel = "FILE", description = "posthorn.toml to read (default: none)")
    Path config;

    @Option(names = "--data-dir", paramLabel = "DIR", description = "where queue, mail and users live")
    Path dataDir;

    @Option(names = "--hostname", paramLabel = "NAME", description = "name in the greeting and trace headers")
    String hostname;

    @Option(names = "--domain", paramLabel = "D", description = "a hosted domain (repeatable)")
    List<String> domains;

    @Option(names = "--mx-port", paramLabel = "N", description = "MX port (0 = off)")
    Integer mxPort;

    @Option(names = "--submission-port", paramLabel = "N", description = "submission port (0 = off)")
    Integer submissionPort;

    @Option(names = "--smtps-port", paramLabel = "N", description = "implicit TLS port (0 = off)")
    Integer smtpsPort;

    @Option(names = "--bind", paramLabel = "ADDR", description = "address to listen on (repeatable)")
    List<String> bind;

    @Option(names = "--web-port", paramLabel = "N", description = "web server port (default 8025; 0 = off)")
    Integer webPort;

    @Option(names = "--capture", description = "test mode: keep accepted mail in memory (deliver nothing, accept every "
            + "recipient) and serve it at /api/v1/capture/messages on the (loopback) web port; address triggers such "
            + "as 451-4.7.1@fail.test answer with that reply")
    boolean capture;

    @Option(names = "--script", paramLabel = "FILE", description = "with --capture: scripted replies from a TOML file "
            + "(docs/testing-with-posthorn.md)")
    Path script;

    @Option(names = "--capture-to-disk", description = "with --capture: also write each message to <data-dir>/captured/<id>.eml")
    boolean captureToDisk;

    @Override
    public Integer call() throws Exception {
        if ((script != null || captureToDisk) && !capture) {
            System.err.println("posthorn serve: --script and --capture-to-disk need --capture");
            return 2;
        }
        PosthornConfig loaded;
        try {
            loaded = ConfigLoader.load(config, this::applyFlags);
        } catch (ConfigException e) {
            System.err.println("posthorn serve: " + e.getMessage());
            return 2;
        }
        CaptureMode testMode;
        try {
            testMode = capture ? CaptureMode.create(loaded, script, captureToDisk) : null;
        } catch (IOException | IllegalArgumentException e) {
            System.err.println("posthorn serve: " + e.getMessage());
            return 2;
        }
        PosthornServer server;
        try {
            server = testMode == null ? PosthornServer.start(loaded) : PosthornServer.start(loaded, testMode.testMode());
        } catch (StoreException e) {
            System.err.println("posthorn serve: " + e.getMessage());
            return 1;
        }
        WebServer web;
        try {
            web = loaded.web.port == 0 ? null
                    : ReferenceSite.builder(WebSettings.from(loaded.web, server.hostname()), Version.current())
                            .server(server, loaded.web.console)
                            .modules(testMode == null ? List.of() : List.of(testMode.api())).start();
        } catch (IOException e) {
            server.close();
            System.err.println("posthorn serve: " + e.getMessage() + " (set --web-port, or [web] port = 0 to turn it off)");
            return 1;
        }
        printWhereItIs(server, web, !"off".equals(loaded.web.console));
        if (testMode != null) {
            System.out.println("  test mode    mail is captured, not delivered"
                    + (web == null ? " (no web port: --web-port to read it over HTTP)"
                    : ": " + web.url().resolve("/api/v1/capture/messages")));
            System.out.flush();
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            if (web != null) {
                web.close();
            }
            server.close();
            stopped.countDown();
        }, "shutdown"));
        stopped.await();
        return 0;
    }

    /** Flags override the file; they are applied before validation so their values are checked too. */
    private void applyFlags(PosthornConfig c) {
        if (dataDir != null) {
            c.server.dataDir = dataDir.toString();
        }
        if (hostname != null) {
            c.server.hostname = hostname;
        }
        if (domains != null) {
            c.server.domains = domains;
        }
        if (mxPort != null) {
            c.listen.mxPort = mxPort;
        }
        if (submissionPort != null) {
            c.listen.submissionPort = submissionPort;
        }
        if (smtpsPort != null) {
            c.listen.smtpsPort = smtpsPort;
        }
        if (bind != null) {
            c.listen.bind = bind;
        }
        if (webPort != null) {
            c.web.port = webPort;
        }
        if (capture) {
            // Test mode: the application under test sends as whoever it likes, and nothing is delivered.
            c.auth.senderBinding = false;
            c.mailauth.enabled = false;
        }
    }

    private static void printWhereItIs(PosthornServer server, WebServer web, boolean console) {
        System.out.println("Posthorn " + Version.current() + " as " + server.hostname());
        for (SmtpListener listener : server.listeners()) {
            System.out.printf("  %-12s %s:%d%s%n", listener.role().name().toLowerCase(),
                    listener.bindAddress().getHostAddress(), listener.port(),
                    listener.implicitTls() ? " (implicit TLS)" : "");
        }
        if (web != null) {
            System.out.printf("  %-12s %s%n", "web", web.url());
            if (console) {
                System.out.printf("  %-12s %s (an account with 'posthorn user admin ADDRESS on')%n", "console",
                        web.url().resolve("/admin/"));
            }
        }
        System.out.println("  mail goes to " + server.mailRoot() + "/<domain>/<user>/new/");
        System.out.println("  queue in     " + server.dataDir().resolve("queue"));
        System.out.println("  users in     " + server.store().describe());
        System.out.println("  outbound     " + server.outboundSummary() + " (see 'posthorn queue list')");
        System.out.flush();
    }
}
