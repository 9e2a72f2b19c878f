package dev.posthorn.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.posthorn.cli.Main;
import dev.posthorn.store.StoreConfig;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The [store] section: read with snake_case keys, each mistake named by its key with the fix. */
class StoreConfigTest {

    @TempDir
    Path dir;

    private Path write(String toml) throws Exception {
        Path file = dir.resolve("posthorn.toml");
        Files.writeString(file, toml);
        return file;
    }

    private String problems(String toml) throws Exception {
        ConfigException e = catchThrowableOfType(ConfigException.class, () -> ConfigLoader.load(write(toml)));
        assertThat(e).as("expected the configuration to be refused").isNotNull();
        return e.getMessage();
    }

    @Test
    void withoutAStoreSectionTheFilesStoreIsUsed() throws Exception {
        StoreConfig store = ConfigLoader.load(null).store;
        assertThat(store.kind).isEqualTo("files");
        assertThat(store.isPostgresql()).isFalse();
    }

    @Test
    void everyKeyIsReadAndThePasswordComesFromItsFileWithoutTheNewline() throws Exception {
        Path secret = dir.resolve("db-password");
        Files.writeString(secret, "s3cret with spaces\n");
        PosthornConfig c = ConfigLoader.load(write("""
                [server]
                domains = []

                [store]
                kind = "postgresql"
                url = "jdbc:postgresql://db.example.com:5432/posthorn"
                user = "posthorn"
                password_file = "%s"
                pool_size = 20
                connect_timeout_seconds = 3
                node_id = "mx1.example.com"
                """.formatted(secret)));
        StoreConfig store = c.store;
        assertThat(store.isPostgresql()).isTrue();
        assertThat(store.url).isEqualTo("jdbc:postgresql://db.example.com:5432/posthorn");
        assertThat(store.user).isEqualTo("posthorn");
        assertThat(store.poolSize).isEqualTo(20);
        assertThat(store.connectTimeoutSeconds).isEqualTo(3);
        assertThat(store.nodeId).isEqualTo("mx1.example.com");
        assertThat(store.resolvePassword()).isEqualTo("s3cret with spaces");
        assertThat(store.toString()).doesNotContain("s3cret");
        // With PostgreSQL the hosted domains may all come from the database.
        assertThat(c.server.domains).isEmpty();
    }

    @Test
    void eachMistakeIsNamedWithItsFix() throws Exception {
        assertThat(problems("[store]\nkind = \"mysql\"\n")).isEqualTo("store.kind: 'mysql' is not a kind of store"
                + " (fix: use \"files\" (one node, the default) or \"postgresql\" (nodes sharing a database))");
        assertThat(problems("[store]\nkind = \"postgresql\"\n")).isEqualTo("store.url: is required with kind ="
                + " \"postgresql\" (fix: url = \"jdbc:postgresql://db.example.com:5432/posthorn\")");
        assertThat(problems("[store]\nkind = \"postgresql\"\nurl = \"postgres://db/posthorn\"\n"))
                .isEqualTo("store.url: is not a PostgreSQL JDBC URL"
                        + " (fix: write it as \"jdbc:postgresql://db.example.com:5432/posthorn\")");
        assertThat(problems("[store]\nkind = \"postgresql\"\nurl = \"jdbc:postgresql://db/p\"\npassword = \"x\"\n"
                + "password_file = \"" + dir.resolve("missing") + "\"\n"))
                .contains("store.password: both password and password_file are set"
                        + " (fix: keep only password_file, so the password is not in this file)")
                .contains("store.password_file: " + dir.resolve("missing") + " does not exist");
        assertThat(problems("[store]\nkind = \"postgresql\"\nurl = \"jdbc:postgresql://db/p\"\npool_size = 0\n"))
                .startsWith("store.pool_size: 0 connections (fix: use 1-1000;");
        assertThat(problems("[store]\nkind = \"postgresql\"\nurl = \"jdbc:postgresql://db/p\"\nnode_id = \"mx 1\"\n"))
                .startsWith("store.node_id: 'mx 1' is not a node id (fix: use up to 63 letters");
        assertThat(problems("[store]\nurl = \"jdbc:postgresql://db/p\"\n"))
                .isEqualTo("store.url: is set but store.kind is \"files\""
                        + " (fix: set kind = \"postgresql\" to use the database, or remove store.url)");
        assertThat(problems("[store]\nkind = \"postgresql\"\nurl = \"jdbc:postgresql://db/p\"\npool = 3\n"))
                .startsWith("store.pool: unknown key (fix: valid keys here are: connect_timeout_seconds, kind,"
                        + " node_id, password, password_file, pool_size, url, user)");
        // The files store needs a configured domain; PostgreSQL does not.
        assertThat(problems("[server]\ndomains = []\n")).startsWith("server.domains: no domain is hosted");
    }

    @Test
    void configCheckReportsStoreProblemsByKey() throws Exception {
        Path file = write("[store]\nkind = \"postgresql\"\n");
        // The command's own error stream (the process's stderr under the launcher): not System.err, which other
        // tests' tools in this JVM (Jazzer's instrumentation) also write to.
        StringWriter captured = new StringWriter();
        CommandLine cli = Main.commandLine();
        cli.setErr(new PrintWriter(captured, true));
        int exit = cli.execute("config", "check", "--config", file.toString());
        assertThat(exit).isEqualTo(1);
        assertThat(captured.toString())
                .isEqualTo("error: store.url: is required with kind = \"postgresql\""
                        + " (fix: url = \"jdbc:postgresql://db.example.com:5432/posthorn\")\n");
    }
}
