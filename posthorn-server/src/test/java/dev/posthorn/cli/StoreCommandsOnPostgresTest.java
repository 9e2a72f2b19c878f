package dev.posthorn.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.posthorn.auth.PasswordHashes;
import dev.posthorn.store.StoreBackend;
import dev.posthorn.store.StoreConfig;
import dev.posthorn.testing.PostgresServer;
import dev.posthorn.testing.RunningServer;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code posthorn user|domain|token} with {@code --config} naming a PostgreSQL store: the commands work on the
 * shared database, with no server running, and say in one line what is wrong when it cannot be reached.
 */
class StoreCommandsOnPostgresTest {

    @TempDir
    Path dir;
    private final InputStream originalIn = System.in;
    private StoreConfig store;
    private Path config;
    private StringWriter out;
    private StringWriter err;

    @BeforeEach
    void writeConfig() throws Exception {
        store = PostgresServer.shared().newStoreConfig();
        config = dir.resolve("posthorn.toml");
        Files.writeString(config, toml(store.url, "\ndomains = [\"posthorn.test\"]"));
    }

    private String toml(String url, String serverExtra) {
        return """
                [server]
                data_dir = "%s"%s

                [store]
                kind = "postgresql"
                url = "%s"
                user = "%s"
                password_file = "%s"
                connect_timeout_seconds = 1
                """.formatted(dir.resolve("data"), serverExtra, url, store.user, store.passwordFile);
    }

    @AfterEach
    void restoreStdin() {
        System.setIn(originalIn);
    }

    @Test
    void userCommandsWorkOnTheDatabase() {
        assertThat(run("s3cret\n", "user", "add", "Alice@Posthorn.test", "--admin", "--password-stdin")).isZero();
        assertThat(out.toString()).isEqualTo("added alice@posthorn.test (admin)\n");
        assertThat(run("", "user", "add", "box@posthorn.test", "--no-password")).isZero();
        assertThat(run("", "user", "alias", "alice@posthorn.test", "info@posthorn.test")).isZero();
        assertThat(run("", "user", "list")).isZero();
        assertThat(out.toString()).isEqualTo("alice@posthorn.test (admin) aliases: info@posthorn.test\n"
                + "box@posthorn.test (no login)\n");

        assertThat(run("changed\n", "user", "passwd", "alice@posthorn.test", "--password-stdin")).isZero();
        assertThat(run("", "user", "admin", "alice@posthorn.test", "off")).isZero();
        assertThat(out.toString()).isEqualTo("alice@posthorn.test is not an admin\n");
        assertThat(run("", "user", "admin", "box@posthorn.test", "on")).isZero();
        assertThat(run("", "user", "del", "info@posthorn.test")).isZero();

        // What the commands wrote is in the database, as any node reads it.
        try (StoreBackend backend = StoreBackend.openForCommand(store, dir, "test")) {
            var users = backend.directory();
            assertThat(users.list()).containsExactly("alice@posthorn.test", "box@posthorn.test");
            assertThat(PasswordHashes.verify(users.passwordHash("alice@posthorn.test").orElseThrow(), "changed".toCharArray()))
                    .isTrue();
            assertThat(users.isAdmin("alice@posthorn.test")).isFalse();
            assertThat(users.isAdmin("box@posthorn.test")).isTrue();
            assertThat(users.exists("info@posthorn.test")).isFalse();
        }
        // A command is not a node: it leaves no node id behind.
        assertThat(dir.resolve("data").resolve("node-id")).doesNotExist();
    }

    @Test
    void domainCommandsListTheDatabaseAndTheConfiguration() {
        assertThat(run("", "domain", "add", "Shop.TEST")).isZero();
        assertThat(out.toString()).isEqualTo("added shop.test\n");
        assertThat(run("", "domain", "add", "shop.test")).isEqualTo(1);
        assertThat(err.toString()).isEqualTo("posthorn domain add: domain already exists: shop.test\n");
        assertThat(run("", "domain", "list")).isZero();
        assertThat(out.toString()).isEqualTo("posthorn.test (server.domains)\nshop.test\n");

        assertThat(run("", "domain", "del", "shop.test")).isZero();
        assertThat(run("", "domain", "del", "shop.test")).isEqualTo(1);
        assertThat(err.toString()).isEqualTo("posthorn domain del: unknown domain: shop.test\n");
        assertThat(run("", "domain", "add", "bad_name")).isEqualTo(1);
        assertThat(err.toString()).startsWith("posthorn domain add: invalid domain 'bad_name': ");
    }

    @Test
    void tokenCommandsShowTheSecretOnceAndKeepOnlyItsHash() {
        run("pw\n", "user", "add", "admin@posthorn.test", "--admin", "--password-stdin");
        assertThat(run("", "token", "create", "admin@posthorn.test", "--name", "console", "--expires-days", "30")).isZero();
        String token = out.toString().strip();
        assertThat(token).matches("ph_[0-9a-f]{12}_[A-Za-z0-9_-]{43}");
        String id = token.substring(3, 15);
        assertThat(err.toString()).isEqualTo("token " + id + " for admin@posthorn.test: shown this once,"
                + " the server keeps only its hash\n");

        assertThat(run("", "token", "list")).isZero();
        assertThat(out.toString()).startsWith(id + "  admin@posthorn.test  \"console\"  created ").contains("  expires ")
                .doesNotContain(token);
        try (StoreBackend backend = StoreBackend.openForCommand(store, dir, "test")) {
            assertThat(backend.directory().verifyToken(token, Instant.now())).isPresent();
        }

        assertThat(run("", "token", "revoke", id)).isZero();
        assertThat(run("", "token", "revoke", id)).isEqualTo(1);
        assertThat(err.toString()).isEqualTo("posthorn token revoke: unknown token: " + id + "\n");
        try (StoreBackend backend = StoreBackend.openForCommand(store, dir, "test")) {
            assertThat(backend.directory().verifyToken(token, Instant.now())).isEmpty();
        }
    }

    @Test
    void anUnreachableDatabaseIsOneLineAndExitCodeOne() throws Exception {
        int closed = RunningServer.freePort();
        Files.writeString(config, toml("jdbc:postgresql://127.0.0.1:" + closed + "/posthorn", ""));
        assertThat(run("", "user", "list")).isEqualTo(1);
        assertThat(out.toString()).isEmpty();
        assertThat(err.toString()).startsWith("posthorn user list: PostgreSQL at jdbc:postgresql://127.0.0.1:" + closed
                        + "/posthorn: Connection to 127.0.0.1:" + closed + " refused")
                .endsWith(" (fix: check that PostgreSQL runs, listens on that host and port (listen_addresses, port)"
                        + " and is reachable from this node)\n")
                .hasLineCount(1);

        Files.writeString(config, "[store]\nkind = \"postgresql\"\n");
        assertThat(run("", "user", "list")).isEqualTo(2);
        assertThat(err.toString()).isEqualTo("posthorn user list: store.url: is required with kind = \"postgresql\""
                + " (fix: url = \"jdbc:postgresql://db.example.com:5432/posthorn\")\n");
    }

    private int run(String stdin, String... args) {
        System.setIn(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)));
        out = new StringWriter();
        err = new StringWriter();
        CommandLine cli = Main.commandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        String[] withConfig = java.util.Arrays.copyOf(args, args.length + 2);
        withConfig[args.length] = "--config";
        withConfig[args.length + 1] = config.toString();
        return cli.execute(withConfig);
    }
}
