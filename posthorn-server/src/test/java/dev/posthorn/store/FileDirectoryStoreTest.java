package dev.posthorn.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.posthorn.auth.PasswordHashes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileDirectoryStoreTest {

    @TempDir
    Path dir;

    @Test
    void openingAnEmptyDirectoryCreatesNothing() {
        UserStore store = UserStore.open(dir.resolve("data"));
        assertThat(store.list()).isEmpty();
        assertThat(store.exists("a@example.org")).isFalse();
        assertThat(Files.exists(dir.resolve("data"))).isFalse();
    }

    @Test
    void addStoresArgon2idAndScramCredentialsInAPrivateFile() throws Exception {
        UserStore store = UserStore.open(dir);
        store.add("Alice@Example.ORG", "wonderland".toCharArray());

        assertThat(store.list()).containsExactly("alice@example.org");
        assertThat(store.exists("ALICE@example.org")).isTrue();
        String hash = store.passwordHash("alice@example.org").orElseThrow();
        assertThat(hash).startsWith("$argon2id$v=19$m=19456,t=2,p=1$");
        assertThat(PasswordHashes.verify(hash, "wonderland".toCharArray())).isTrue();

        ScramCredentials scram = store.scramCredentials("alice@example.org").orElseThrow();
        assertThat(scram.iterations()).isGreaterThanOrEqualTo(4096);
        assertThat(scram).isEqualTo(ScramCredentials.derive("wonderland".toCharArray(), scram.salt(), scram.iterations()));

        String json = Files.readString(dir.resolve("users.json"));
        assertThat(json).contains("\"stored_key\"", "\"server_key\"").doesNotContain("wonderland");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("users.json")))).isEqualTo("rw-------");
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("users.json", "users.lock");
        }
    }

    @Test
    void aliasesResolveToTheirAccountAndBelongToItsAddresses() {
        UserStore store = UserStore.open(dir);
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
        assertThat(store.aliasesOf("alice@example.org")).containsExactly("abuse@example.org", "postmaster@example.org");
        assertThat(store.list()).containsExactly("alice@example.org");
    }

    @Test
    void conflictsAndUnknownAddressesAreRefusedWithClearMessages() {
        UserStore store = UserStore.open(dir);
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
        assertThatThrownBy(() -> store.setPassword("bob@example.org", "x".toCharArray()))
                .isInstanceOf(UserStoreException.class).hasMessage("unknown account: bob@example.org");
        assertThatThrownBy(() -> store.delete("bob@example.org"))
                .isInstanceOf(UserStoreException.class).hasMessage("unknown address: bob@example.org");
    }

    @Test
    void malformedAddressesAreRejectedWithTheReason() {
        UserStore store = UserStore.open(dir);
        assertThatThrownBy(() -> store.add("alice", null)).hasMessage("invalid address 'alice': expected local@domain");
        assertThatThrownBy(() -> store.add("@example.org", null)).hasMessageContaining("empty local part");
        assertThatThrownBy(() -> store.add("a..b@example.org", null)).hasMessageContaining("local part may hold");
        assertThatThrownBy(() -> store.add("a b@example.org", null)).hasMessageContaining("local part may hold");
        assertThatThrownBy(() -> store.add("a@-example.org", null)).hasMessageContaining("domain must be");
        assertThatThrownBy(() -> store.add("a@example..org", null)).hasMessageContaining("domain must be");
        assertThatThrownBy(() -> store.add("a@", null)).hasMessageContaining("empty domain");
        assertThatThrownBy(() -> store.add("x".repeat(65) + "@example.org", null)).hasMessageContaining("64");
        assertThatThrownBy(() -> store.add("a:b@example.org", null)).hasMessageContaining("local part may hold");
        assertThat(store.list()).isEmpty();
    }

    @Test
    void passwordChangeAndMailboxWithoutLogin() {
        UserStore store = UserStore.open(dir);
        store.add("box@example.org", null);
        assertThat(store.exists("box@example.org")).isTrue();
        assertThat(store.passwordHash("box@example.org")).isEmpty();
        assertThat(store.scramCredentials("box@example.org")).isEmpty();

        store.setPassword("box@example.org", "first".toCharArray());
        String first = store.passwordHash("box@example.org").orElseThrow();
        store.setPassword("box@example.org", "second".toCharArray());
        String second = store.passwordHash("box@example.org").orElseThrow();
        assertThat(PasswordHashes.verify(first, "first".toCharArray())).isTrue();
        assertThat(PasswordHashes.verify(second, "second".toCharArray())).isTrue();
        assertThat(PasswordHashes.verify(second, "first".toCharArray())).isFalse();
    }

    @Test
    void deleteRemovesAnAccountWithItsAliasesOrASingleAlias() {
        UserStore store = UserStore.open(dir);
        store.add("alice@example.org", "pw".toCharArray());
        store.addAlias("alice@example.org", "a1@example.org");
        store.addAlias("alice@example.org", "a2@example.org");
        store.add("bob@example.org", "pw".toCharArray());

        store.delete("a1@example.org");
        assertThat(store.addressesOf("alice@example.org")).containsExactlyInAnyOrder("alice@example.org", "a2@example.org");

        store.delete("Alice@example.org");
        assertThat(store.exists("alice@example.org")).isFalse();
        assertThat(store.exists("a2@example.org")).isFalse();
        assertThat(store.list()).containsExactly("bob@example.org");
    }

    @Test
    void aSecondInstanceSeesChangesWithoutReopening() {
        UserStore server = UserStore.open(dir);
        UserStore cli = UserStore.open(dir);
        assertThat(server.exists("alice@example.org")).isFalse();

        cli.add("alice@example.org", "pw".toCharArray());
        assertThat(server.exists("alice@example.org")).isTrue();

        cli.addAlias("alice@example.org", "info@example.org");
        assertThat(server.accountFor("info@example.org")).contains("alice@example.org");

        cli.delete("alice@example.org");
        assertThat(server.exists("alice@example.org")).isFalse();
        assertThat(server.exists("info@example.org")).isFalse();
    }

    @Test
    void aRunningServerKeepsItsAccountsWhenTheFileIsBrokenByHandAndWritersRefuseToOverwriteIt() throws Exception {
        UserStore server = UserStore.open(dir);
        server.add("alice@example.org", null);
        Path replacement = dir.resolve("edited.json");
        Files.writeString(replacement, "{ \"accounts\": [ oops");
        Files.move(replacement, dir.resolve("users.json"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);

        assertThat(server.exists("alice@example.org")).isTrue();
        assertThatThrownBy(() -> UserStore.open(dir)).hasMessageContaining("is not a valid users file");
        assertThatThrownBy(() -> server.add("bob@example.org", null)).hasMessageContaining("is not a valid users file");
        assertThat(Files.readString(dir.resolve("users.json"))).isEqualTo("{ \"accounts\": [ oops");
    }

    @Test
    void concurrentWritersLoseNothing() throws Exception {
        int threads = 2;
        int perThread = 10;
        CountDownLatch go = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                futures.add(pool.submit(() -> {
                    UserStore own = UserStore.open(dir); // each writer its own instance, as two CLI processes
                    go.await();
                    for (int i = 0; i < perThread; i++) {
                        own.add("t" + thread + "-u" + i + "@example.org", null);
                    }
                    return null;
                }));
            }
            go.countDown();
            for (Future<?> f : futures) {
                f.get();
            }
        } finally {
            pool.shutdown();
        }
        assertThat(UserStore.open(dir).list()).hasSize(threads * perThread);
    }

    @Test
    void concurrentWritersInSeparateProcessesLoseNothing() throws Exception {
        // Two JVMs contend for users.lock: the file lock, not only the in-process lock, must serialise them.
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String classpath = System.getProperty("java.class.path");
        List<Process> processes = new ArrayList<>();
        for (int p = 0; p < 2; p++) {
            processes.add(new ProcessBuilder(java, "-cp", classpath, AddUsers.class.getName(), dir.toString(), "p" + p, "8")
                    .redirectErrorStream(true).start());
        }
        for (Process process : processes) {
            String output = new String(process.getInputStream().readAllBytes());
            assertThat(process.waitFor()).as(output).isZero();
        }
        assertThat(UserStore.open(dir).list()).hasSize(16);
    }

    /** Entry point of the child processes of {@link #concurrentWritersInSeparateProcessesLoseNothing}. */
    public static final class AddUsers {
        public static void main(String[] args) {
            UserStore store = UserStore.open(Path.of(args[0]));
            for (int i = 0; i < Integer.parseInt(args[2]); i++) {
                store.add(args[1] + "-u" + i + "@example.org", null);
            }
        }
    }
}
