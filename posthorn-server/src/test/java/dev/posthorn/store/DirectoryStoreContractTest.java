package dev.posthorn.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.posthorn.auth.PasswordHashes;
import dev.posthorn.testing.PostgresServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * What every directory store promises, run against both: the files store ({@code users.json}) and the
 * PostgreSQL store. Same data (Argon2id and SCRAM-SHA-256 credentials, aliases, admin flags, domains, API
 * tokens), same refusals in the same words, and changes seen at once by a second instance (another process,
 * another node).
 */
class DirectoryStoreContractTest {

    @TempDir
    Path dir;
    private final List<StoreBackend> opened = new ArrayList<>();

    /** The two implementations, each opened the way the server and the CLI open them. */
    enum Kind {
        FILES, POSTGRESQL;

        StoreConfig config() {
            return this == FILES ? new StoreConfig() : PostgresServer.shared().newStoreConfig();
        }
    }

    private StoreConfig config;

    private DirectoryStore open(Kind kind) {
        if (config == null) {
            config = kind.config();
        }
        StoreBackend backend = StoreBackend.openForNode(config, dir, "contract.test");
        opened.add(backend);
        return backend.directory();
    }

    @AfterEach
    void close() {
        opened.forEach(StoreBackend::close);
    }

    /** Everything the store holds, as text: what someone who copies the file or the database would see. */
    private String rawContents(Kind kind) throws IOException, SQLException {
        if (kind == Kind.FILES) {
            Path file = dir.resolve("users.json");
            return Files.exists(file) ? Files.readString(file) : "";
        }
        StringBuilder all = new StringBuilder();
        try (Connection c = PostgresServer.shared().connect(config.url); Statement s = c.createStatement()) {
            for (String table : List.of("accounts", "addresses", "domains", "api_tokens")) {
                try (ResultSet r = s.executeQuery("SELECT row_to_json(t)::text FROM " + table + " t")) {
                    while (r.next()) {
                        all.append(r.getString(1)).append('\n');
                    }
                }
            }
        }
        return all.toString();
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void addKeepsArgon2idAndScramCredentialsAndNeverThePassword(Kind kind) throws Exception {
        DirectoryStore store = open(kind);
        store.add("Alice@Example.ORG", "wonderland".toCharArray());

        assertThat(store.list()).containsExactly("alice@example.org");
        assertThat(store.exists("ALICE@example.org")).isTrue();
        assertThat(store.isAdmin("alice@example.org")).isFalse();
        String hash = store.passwordHash("alice@example.org").orElseThrow();
        assertThat(hash).startsWith("$argon2id$v=19$m=19456,t=2,p=1$");
        assertThat(PasswordHashes.verify(hash, "wonderland".toCharArray())).isTrue();
        assertThat(PasswordHashes.verify(hash, "Wonderland".toCharArray())).isFalse();

        ScramCredentials scram = store.scramCredentials("alice@example.org").orElseThrow();
        assertThat(scram.iterations()).isEqualTo(4096);
        assertThat(scram).isEqualTo(ScramCredentials.derive("wonderland".toCharArray(), scram.salt(), scram.iterations()));

        assertThat(rawContents(kind)).contains("alice@example.org").doesNotContain("wonderland");
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void aliasesResolveToTheirAccountAndBelongToItsAddresses(Kind kind) {
        DirectoryStore store = open(kind);
        store.add("alice@example.org", "pw".toCharArray());
        store.addAlias("alice@example.org", "Postmaster@Example.org");
        store.addAlias("ALICE@example.org", "abuse@example.org");

        assertThat(store.exists("postmaster@EXAMPLE.org")).isTrue();
        assertThat(store.accountFor("postmaster@example.org")).contains("alice@example.org");
        assertThat(store.accountFor("alice@example.org")).contains("alice@example.org");
        assertThat(store.accountFor("bob@example.org")).isEmpty();
        assertThat(store.accountFor("not an address")).isEmpty();
        assertThat(store.addressesOf("alice@example.org"))
                .containsExactlyInAnyOrder("alice@example.org", "postmaster@example.org", "abuse@example.org");
        assertThat(store.addressesOf("abuse@example.org"))
                .containsExactlyInAnyOrder("alice@example.org", "postmaster@example.org", "abuse@example.org");
        assertThat(store.addressesOf("bob@example.org")).isEmpty();
        assertThat(store.aliasesOf("alice@example.org")).containsExactly("abuse@example.org", "postmaster@example.org");
        assertThat(store.list()).containsExactly("alice@example.org");
        // An alias is not an account: no password of its own, no admin flag.
        assertThat(store.passwordHash("abuse@example.org")).isEmpty();
        assertThat(store.scramCredentials("abuse@example.org")).isEmpty();
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void conflictsAndUnknownAddressesAreRefusedInTheSameWords(Kind kind) {
        DirectoryStore store = open(kind);
        store.add("alice@example.org", "pw".toCharArray());
        store.addAlias("alice@example.org", "info@example.org");

        assertThatThrownBy(() -> store.add("ALICE@example.org", "x".toCharArray()))
                .isInstanceOf(UserStoreException.class).hasMessage("address already exists: alice@example.org");
        assertThatThrownBy(() -> store.add("info@example.org", "x".toCharArray()))
                .isInstanceOf(UserStoreException.class).hasMessage("address already exists: info@example.org");
        assertThatThrownBy(() -> store.addAlias("bob@example.org", "b@example.org"))
                .isInstanceOf(UserStoreException.class).hasMessage("unknown account: bob@example.org");
        assertThatThrownBy(() -> store.addAlias("alice@example.org", "info@example.org"))
                .isInstanceOf(UserStoreException.class).hasMessage("address already exists: info@example.org");
        assertThatThrownBy(() -> store.addAlias("alice@example.org", "alice@example.org"))
                .isInstanceOf(UserStoreException.class).hasMessage("address already exists: alice@example.org");
        assertThatThrownBy(() -> store.setPassword("bob@example.org", "x".toCharArray()))
                .isInstanceOf(UserStoreException.class).hasMessage("unknown account: bob@example.org");
        assertThatThrownBy(() -> store.setPassword("info@example.org", "x".toCharArray()))
                .isInstanceOf(UserStoreException.class).hasMessage("unknown account: info@example.org");
        assertThatThrownBy(() -> store.delete("bob@example.org"))
                .isInstanceOf(UserStoreException.class).hasMessage("unknown address: bob@example.org");
        assertThatThrownBy(() -> store.setAdmin("bob@example.org", true))
                .isInstanceOf(UserStoreException.class).hasMessage("unknown account: bob@example.org");
        assertThatThrownBy(() -> store.add("carol@example.org", new char[0]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("empty password");
        assertThat(store.exists("carol@example.org")).isFalse();
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void malformedAddressesAreRejectedWithTheReasonAndStoreNothing(Kind kind) {
        DirectoryStore store = open(kind);
        assertThatThrownBy(() -> store.add("alice", null)).hasMessage("invalid address 'alice': expected local@domain");
        assertThatThrownBy(() -> store.add("@example.org", null)).hasMessageContaining("empty local part");
        assertThatThrownBy(() -> store.add("a..b@example.org", null)).hasMessageContaining("local part may hold");
        assertThatThrownBy(() -> store.add("a'; DROP TABLE accounts; --@example.org", null))
                .hasMessageContaining("local part may hold");
        assertThatThrownBy(() -> store.add("a@-example.org", null)).hasMessageContaining("domain must be");
        assertThatThrownBy(() -> store.add("x".repeat(65) + "@example.org", null)).hasMessageContaining("64");
        assertThat(store.list()).isEmpty();
        assertThat(store.exists("a'; DROP TABLE accounts; --@example.org")).isFalse();
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void passwordChangesAndMailboxesWithoutLogin(Kind kind) {
        DirectoryStore store = open(kind);
        store.add("box@example.org", null);
        assertThat(store.exists("box@example.org")).isTrue();
        assertThat(store.passwordHash("box@example.org")).isEmpty();
        assertThat(store.scramCredentials("box@example.org")).isEmpty();

        store.setPassword("box@example.org", "first".toCharArray());
        String first = store.passwordHash("box@example.org").orElseThrow();
        ScramCredentials firstScram = store.scramCredentials("box@example.org").orElseThrow();
        store.setPassword("Box@example.org", "second".toCharArray());
        String second = store.passwordHash("box@example.org").orElseThrow();
        assertThat(PasswordHashes.verify(first, "first".toCharArray())).isTrue();
        assertThat(PasswordHashes.verify(second, "second".toCharArray())).isTrue();
        assertThat(PasswordHashes.verify(second, "first".toCharArray())).isFalse();
        ScramCredentials secondScram = store.scramCredentials("box@example.org").orElseThrow();
        assertThat(secondScram).isNotEqualTo(firstScram)
                .isEqualTo(ScramCredentials.derive("second".toCharArray(), secondScram.salt(), secondScram.iterations()));

        store.setPassword("box@example.org", null);
        assertThat(store.passwordHash("box@example.org")).isEmpty();
        assertThat(store.scramCredentials("box@example.org")).isEmpty();
        assertThat(store.exists("box@example.org")).isTrue();
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void deleteRemovesAnAccountWithItsAliasesAndTokensOrASingleAlias(Kind kind) {
        DirectoryStore store = open(kind);
        store.add("alice@example.org", "pw".toCharArray());
        store.addAlias("alice@example.org", "a1@example.org");
        store.addAlias("alice@example.org", "a2@example.org");
        IssuedToken token = store.createToken("alice@example.org", "backup script", null);
        store.add("bob@example.org", "pw".toCharArray());

        store.delete("a1@example.org");
        assertThat(store.addressesOf("alice@example.org")).containsExactlyInAnyOrder("alice@example.org", "a2@example.org");
        assertThat(store.exists("a1@example.org")).isFalse();

        store.delete("Alice@example.org");
        assertThat(store.exists("alice@example.org")).isFalse();
        assertThat(store.exists("a2@example.org")).isFalse();
        assertThat(store.passwordHash("alice@example.org")).isEmpty();
        assertThat(store.tokens()).isEmpty();
        assertThat(store.verifyToken(token.secret(), Instant.now())).isEmpty();
        assertThat(store.list()).containsExactly("bob@example.org");
        // The freed addresses can be taken again, by anyone.
        store.addAlias("bob@example.org", "a2@example.org");
        assertThat(store.accountFor("a2@example.org")).contains("bob@example.org");
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void theAdminFlagIsSetAtAddAndSwitchedOnAndOff(Kind kind) {
        DirectoryStore store = open(kind);
        store.add("root@example.org", "pw".toCharArray(), true);
        store.add("user@example.org", "pw".toCharArray());
        store.addAlias("root@example.org", "hostmaster@example.org");

        assertThat(store.isAdmin("ROOT@example.org")).isTrue();
        assertThat(store.isAdmin("user@example.org")).isFalse();
        assertThat(store.isAdmin("hostmaster@example.org")).isFalse(); // aliases do not log in
        assertThat(store.isAdmin("nobody@example.org")).isFalse();

        store.setAdmin("user@example.org", true);
        store.setAdmin("root@example.org", false);
        assertThat(store.isAdmin("user@example.org")).isTrue();
        assertThat(store.isAdmin("root@example.org")).isFalse();
        // The flag does not touch the credentials.
        assertThat(PasswordHashes.verify(store.passwordHash("user@example.org").orElseThrow(), "pw".toCharArray())).isTrue();
        // A password change keeps the flag.
        store.setPassword("user@example.org", "new".toCharArray());
        assertThat(store.isAdmin("user@example.org")).isTrue();
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void domainsAreAddedOnceFoldedListedAndDeleted(Kind kind) {
        DirectoryStore store = open(kind);
        assertThat(store.domains()).isEmpty();
        assertThat(store.addDomain("Example.ORG")).isTrue();
        assertThat(store.addDomain("example.org")).isFalse();
        assertThat(store.addDomain("a.example.net")).isTrue();

        assertThat(store.domains()).containsExactly("a.example.net", "example.org");
        assertThat(store.hostsDomain("EXAMPLE.org")).isTrue();
        assertThat(store.hostsDomain("example.com")).isFalse();
        assertThat(store.hostsDomain("not a domain")).isFalse();
        assertThatThrownBy(() -> store.addDomain("bad_domain"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("invalid domain 'bad_domain'");

        store.deleteDomain("EXAMPLE.org");
        assertThat(store.domains()).containsExactly("a.example.net");
        assertThatThrownBy(() -> store.deleteDomain("example.org"))
                .isInstanceOf(UserStoreException.class).hasMessage("unknown domain: example.org");
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void apiTokensVerifyUntilRevokedOrExpiredAndOnlyTheirHashIsKept(Kind kind) throws Exception {
        DirectoryStore store = open(kind);
        store.add("admin@example.org", "pw".toCharArray(), true);
        store.addAlias("admin@example.org", "ops@example.org");
        Instant now = Instant.now();

        IssuedToken forever = store.createToken("Admin@example.org", "console", null);
        IssuedToken shortLived = store.createToken("admin@example.org", "ci job", now.plus(Duration.ofHours(1)));
        assertThat(forever.secret()).matches("ph_[0-9a-f]{12}_[A-Za-z0-9_-]{43}").startsWith("ph_" + forever.token().id() + "_");
        assertThat(forever.toString()).doesNotContain(forever.secret());

        assertThat(store.verifyToken(forever.secret(), now)).get()
                .satisfies(t -> {
                    assertThat(t.account()).isEqualTo("admin@example.org");
                    assertThat(t.name()).isEqualTo("console");
                    assertThat(t.expiresAt()).isNull();
                });
        assertThat(store.verifyToken(shortLived.secret(), now)).isPresent();
        assertThat(store.verifyToken(shortLived.secret(), now.plus(Duration.ofHours(2)))).isEmpty();
        // The right id with another secret, a mangled token, nothing at all: no.
        String forged = forever.secret().substring(0, 16) + shortLived.secret().substring(16);
        assertThat(store.verifyToken(forged, now)).isEmpty();
        assertThat(store.verifyToken(forever.secret() + "x", now)).isEmpty();
        assertThat(store.verifyToken("", now)).isEmpty();
        assertThat(store.verifyToken(null, now)).isEmpty();

        assertThat(store.tokens()).extracting(ApiToken::name).containsExactly("console", "ci job");
        String raw = rawContents(kind);
        assertThat(raw).contains(forever.token().id()).doesNotContain(forever.secret()).doesNotContain(shortLived.secret());

        store.revokeToken(forever.token().id());
        assertThat(store.verifyToken(forever.secret(), now)).isEmpty();
        assertThat(store.tokens()).extracting(ApiToken::id).containsExactly(shortLived.token().id());
        assertThatThrownBy(() -> store.revokeToken(forever.token().id()))
                .isInstanceOf(UserStoreException.class).hasMessage("unknown token: " + forever.token().id());
        assertThatThrownBy(() -> store.createToken("ops@example.org", "x", null))
                .isInstanceOf(UserStoreException.class).hasMessage("unknown account: ops@example.org");
        assertThatThrownBy(() -> store.createToken("nobody@example.org", "x", null))
                .isInstanceOf(UserStoreException.class).hasMessage("unknown account: nobody@example.org");
        assertThatThrownBy(() -> store.createToken("admin@example.org", "two\nlines", null))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void aSecondInstanceSeesEveryChangeWithoutReopening(Kind kind) {
        DirectoryStore server = open(kind);
        DirectoryStore cli = open(kind);
        assertThat(server.exists("alice@example.org")).isFalse();

        cli.add("alice@example.org", "one".toCharArray());
        assertThat(server.exists("alice@example.org")).isTrue();
        cli.setPassword("alice@example.org", "two".toCharArray());
        assertThat(PasswordHashes.verify(server.passwordHash("alice@example.org").orElseThrow(), "two".toCharArray())).isTrue();
        cli.addAlias("alice@example.org", "info@example.org");
        assertThat(server.accountFor("info@example.org")).contains("alice@example.org");
        cli.setAdmin("alice@example.org", true);
        assertThat(server.isAdmin("alice@example.org")).isTrue();
        cli.addDomain("example.org");
        assertThat(server.hostsDomain("example.org")).isTrue();
        IssuedToken token = cli.createToken("alice@example.org", "t", null);
        assertThat(server.verifyToken(token.secret(), Instant.now())).isPresent();

        cli.delete("alice@example.org");
        assertThat(server.exists("alice@example.org")).isFalse();
        assertThat(server.exists("info@example.org")).isFalse();
        assertThat(server.verifyToken(token.secret(), Instant.now())).isEmpty();
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void writersRacingForTheSameAddressesLeaveEachToExactlyOneWinner(Kind kind) throws Exception {
        open(kind);
        int writers = 2;
        int addresses = 8;
        CountDownLatch go = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(writers);
        List<Future<Integer>> wins = new ArrayList<>();
        try {
            for (int w = 0; w < writers; w++) {
                int writer = w;
                wins.add(pool.submit(() -> {
                    DirectoryStore own = open(kind); // each its own instance, as two nodes
                    go.await();
                    int won = 0;
                    for (int i = 0; i < addresses; i++) {
                        try {
                            // One adds the accounts, the other the same names as aliases of its own account.
                            if (writer == 0) {
                                own.add("u" + i + "@example.org", null);
                            } else {
                                if (i == 0) {
                                    own.add("owner@example.org", null);
                                }
                                own.addAlias("owner@example.org", "u" + i + "@example.org");
                            }
                            won++;
                        } catch (UserStoreException e) {
                            assertThat(e).hasMessage("address already exists: u" + i + "@example.org");
                        }
                    }
                    return won;
                }));
            }
            go.countDown();
            int total = 0;
            for (Future<Integer> f : wins) {
                total += f.get();
            }
            assertThat(total).isEqualTo(addresses);
        } catch (java.util.concurrent.ExecutionException e) {
            throw e.getCause() instanceof UncheckedIOException u ? u : e;
        } finally {
            pool.shutdown();
        }
        DirectoryStore check = open(kind);
        for (int i = 0; i < addresses; i++) {
            assertThat(check.exists("u" + i + "@example.org")).isTrue();
        }
        assertThat(check.list().size() - 1 + check.aliasesOf("owner@example.org").size()).isEqualTo(addresses);
    }
}
