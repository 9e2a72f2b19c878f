package dev.posthorn.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
    void theFileIsPrivateAndHoldsHashesOnly() throws Exception {
        UserStore store = UserStore.open(dir);
        store.add("Alice@Example.ORG", "wonderland".toCharArray());

        String json = Files.readString(dir.resolve("users.json"));
        assertThat(json).contains("\"address\" : \"alice@example.org\"", "\"stored_key\"", "\"server_key\"")
                .doesNotContain("wonderland");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("users.json")))).isEqualTo("rw-------");
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("users.json", "users.lock");
        }
    }

    @Test
    void aFileWrittenBeforeAdminFlagsDomainsAndTokensReadsAsBeforeAndKeepsItsAccounts() throws Exception {
        // The shape of users.json before this release: accounts only.
        FileDirectoryStore first = FileDirectoryStore.open(dir);
        first.add("alice@example.org", "pw".toCharArray());
        String hash = first.passwordHash("alice@example.org").orElseThrow();
        Files.writeString(dir.resolve("users.json"), """
                {
                  "version" : 1,
                  "accounts" : [ {
                    "address" : "alice@example.org",
                    "password" : "%s",
                    "aliases" : [ "info@example.org" ]
                  } ]
                }
                """.formatted(hash));

        FileDirectoryStore store = FileDirectoryStore.open(dir);
        assertThat(store.accountFor("info@example.org")).contains("alice@example.org");
        assertThat(store.isAdmin("alice@example.org")).isFalse();
        assertThat(store.domains()).isEmpty();
        assertThat(store.tokens()).isEmpty();

        store.addDomain("example.org");
        store.setAdmin("alice@example.org", true);
        String json = Files.readString(dir.resolve("users.json"));
        assertThat(json).contains("\"domains\" : [ \"example.org\" ]", "\"admin\" : true", hash)
                .doesNotContain("\"tokens\"");
        assertThat(FileDirectoryStore.open(dir).aliasesOf("alice@example.org")).containsExactly("info@example.org");
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
