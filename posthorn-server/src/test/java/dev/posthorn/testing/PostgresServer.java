package dev.posthorn.testing;

import dev.posthorn.store.StoreConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * A private PostgreSQL from Debian's packages for the tests ({@code .ci/run} installs {@code postgresql}): a
 * cluster made by {@code initdb} in a temporary directory and run by {@code pg_ctl} on a free loopback port,
 * with fsync on (the durability is real), its Unix socket in that directory, and a superuser that logs in
 * over TCP with a password (SCRAM-SHA-256), as Posthorn's nodes do.
 *
 * <p>PostgreSQL refuses to run as root. Under root (CI) the cluster belongs to the {@code postgres} system user
 * the Debian package creates, and every program runs through {@code runuser -u postgres}; otherwise it runs as
 * the current user. Starting a cluster costs seconds, so one is shared by every test of a JVM
 * ({@link #shared()}), stopped by a shutdown hook; each test takes a database of its own
 * ({@link #newDatabase()}).
 */
public final class PostgresServer {

    public static final String SUPERUSER = "posthorn";
    private static final String SYSTEM_USER = "postgres";
    private static PostgresServer shared;

    private final Path root;
    private final Path data;
    private final Path bin;
    private final String runAs;
    private final String password;
    private final Path passwordFile;
    private final int port;
    private final AtomicInteger databases = new AtomicInteger();

    private PostgresServer(Path root, Path bin, String runAs, String password, Path passwordFile, int port) {
        this.root = root;
        this.data = root.resolve("data");
        this.bin = bin;
        this.runAs = runAs;
        this.password = password;
        this.passwordFile = passwordFile;
        this.port = port;
    }

    /** The cluster of this JVM, started on first use. */
    public static synchronized PostgresServer shared() {
        if (shared == null) {
            shared = start();
            PostgresServer server = shared;
            Runtime.getRuntime().addShutdownHook(new Thread(server::stop, "postgres-stop"));
        }
        return shared;
    }

    private static PostgresServer start() {
        try {
            Path bin = binaries();
            String runAs = isRoot() ? SYSTEM_USER : null;
            Path root = Files.createTempDirectory("posthorn-pg-");
            Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwx------"));
            String password = HexFormat.of().formatHex(randomBytes(16));
            Path passwordFile = root.resolve("password");
            Files.writeString(passwordFile, password + "\n", StandardCharsets.US_ASCII);
            if (runAs != null) {
                UserPrincipal owner = root.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName(runAs);
                Files.setOwner(root, owner);
                Files.setOwner(passwordFile, owner);
            }
            Files.setPosixFilePermissions(passwordFile, PosixFilePermissions.fromString("rw-------"));
            IOException last = null;
            for (int attempt = 0; attempt < 3; attempt++) {
                PostgresServer server = new PostgresServer(root, bin, runAs, password, passwordFile, RunningServer.freePort());
                try {
                    server.initAndStart(attempt == 0);
                    return server;
                } catch (IOException e) {
                    last = e; // most likely the port was taken between finding and binding it: try another
                }
            }
            throw last;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private void initAndStart(boolean init) throws IOException, InterruptedException {
        if (init) {
            run(List.of(bin.resolve("initdb").toString(), "-D", data.toString(), "-U", SUPERUSER,
                    "--pwfile=" + passwordFile, "--auth-local=trust", "--auth-host=scram-sha-256",
                    "-E", "UTF8", "--locale=C"), 120);
        }
        // The port goes on the command line: a retry after a port clash starts the same cluster on another.
        run(List.of(bin.resolve("pg_ctl").toString(), "-D", data.toString(), "-l", root.resolve("log").toString(),
                "-w", "-t", "60", "-o", "-p " + port + " -k " + root + " -c listen_addresses=127.0.0.1"
                        + " -c fsync=on -c synchronous_commit=on -c max_connections=300", "start"), 90);
    }

    /** A fresh, empty database owned by the superuser; its JDBC URL. */
    public String newDatabase() {
        String name = "t" + databases.incrementAndGet() + "_" + HexFormat.of().formatHex(randomBytes(4));
        try (Connection c = DriverManager.getConnection(url("postgres"), SUPERUSER, password);
                Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE " + name); // the name is ours: letters and digits
        } catch (SQLException e) {
            throw new IllegalStateException("cannot create a test database: " + e.getMessage(), e);
        }
        return url(name);
    }

    public String url(String database) {
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + database;
    }

    public int port() {
        return port;
    }

    public String password() {
        return password;
    }

    /** The superuser's password, one line, for {@code store.password_file}. */
    public Path passwordFile() {
        return passwordFile;
    }

    /** A {@code [store]} section for a new database of this cluster, the password given by file. */
    public StoreConfig newStoreConfig() {
        StoreConfig store = new StoreConfig();
        store.kind = StoreConfig.POSTGRESQL;
        store.url = newDatabase();
        store.user = SUPERUSER;
        store.passwordFile = passwordFile.toString();
        store.poolSize = 4;
        return store;
    }

    /**
     * What an operator's {@code posthorn.toml} on one node says: its data directory, any more {@code [server]}
     * lines, and the {@code [store]} naming the shared database (pool of 2), for the CLI's {@code --config}.
     */
    public static String operatorConfig(StoreConfig store, Path dataDir, String... serverLines) {
        return """
                [server]
                data_dir = "%s"
                %s
                [store]
                kind = "postgresql"
                url = "%s"
                user = "%s"
                password_file = "%s"
                pool_size = 2
                """.formatted(dataDir, String.join("\n", serverLines), store.url, store.user, store.passwordFile);
    }

    /** Opens a JDBC connection to a test database as the superuser (to look at what the store wrote). */
    public Connection connect(String url) throws SQLException {
        return DriverManager.getConnection(url, SUPERUSER, password);
    }

    /**
     * Stops the cluster and removes its directory in a process of its own that the JVM does not wait for: an
     * immediate shutdown (the cluster is thrown away, no checkpoint needed), then {@code rm -rf} of the tens of
     * test databases, which on a loaded machine takes longer than the 30 seconds surefire gives a forked JVM to
     * exit. The process outlives the JVM.
     */
    private void stop() {
        String pgCtl = quote(bin.resolve("pg_ctl").toString()) + " -D " + quote(data.toString())
                + " -m immediate -w -t 20 stop";
        String asOwner = runAs == null ? pgCtl : quote(runuser()) + " -u " + runAs + " -- " + pgCtl;
        try {
            new ProcessBuilder("/bin/sh", "-c", asOwner + " >/dev/null 2>&1; rm -rf " + quote(root.toString()))
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        } catch (IOException e) {
            System.err.println("stopping the test PostgreSQL in " + root + " failed: " + e.getMessage());
        }
    }

    private static String quote(String path) {
        return "'" + path.replace("'", "'\\''") + "'";
    }

    private void run(List<String> command, int timeoutSeconds) throws IOException, InterruptedException {
        List<String> full = new ArrayList<>();
        if (runAs != null) {
            full.addAll(List.of(runuser(), "-u", runAs, "--"));
        }
        full.addAll(command);
        Process p = new ProcessBuilder(full).directory(root.toFile()).redirectErrorStream(true).start();
        byte[] output = p.getInputStream().readAllBytes();
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException(String.join(" ", command) + " did not finish in " + timeoutSeconds + " s");
        }
        if (p.exitValue() != 0) {
            Path log = root.resolve("log");
            throw new IOException(String.join(" ", command) + " failed: " + new String(output, StandardCharsets.UTF_8)
                    + (Files.isReadable(log) ? Files.readString(log) : ""));
        }
    }

    /** The newest {@code /usr/lib/postgresql/<version>/bin} with initdb. */
    private static Path binaries() throws IOException {
        Path base = Path.of("/usr/lib/postgresql");
        if (Files.isDirectory(base)) {
            try (Stream<Path> versions = Files.list(base)) {
                var found = versions.filter(v -> v.getFileName().toString().matches("\\d+"))
                        .filter(v -> Files.isExecutable(v.resolve("bin/initdb")))
                        .max(Comparator.comparingInt(v -> Integer.parseInt(v.getFileName().toString())));
                if (found.isPresent()) {
                    return found.get().resolve("bin");
                }
            }
        }
        throw new IOException("PostgreSQL is needed by this test and was not found under " + base
                + " (.ci/run installs it; on Debian: apt-get install postgresql)");
    }

    private static String runuser() {
        Path p = Path.of("/usr/sbin/runuser");
        return Files.isExecutable(p) ? p.toString() : "runuser";
    }

    private static boolean isRoot() throws IOException {
        return ((Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid")) == 0;
    }

    private static byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        new SecureRandom().nextBytes(b);
        return b;
    }
}
