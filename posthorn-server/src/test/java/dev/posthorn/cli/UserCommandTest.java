package dev.posthorn.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.posthorn.auth.PasswordHashes;
import dev.posthorn.store.UserStore;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class UserCommandTest {

    @TempDir
    Path dir;
    private final InputStream originalIn = System.in;
    private StringWriter out;
    private StringWriter err;

    @AfterEach
    void restoreStdin() {
        System.setIn(originalIn);
    }

    @Test
    void addWithPasswordFromStdinThenList() {
        assertThat(run("secret pass\n", "user", "add", "Alice@Example.org", "--password-stdin", "--data-dir", dir.toString()))
                .isZero();
        assertThat(out.toString()).isEqualTo("added alice@example.org\n");
        String hash = UserStore.open(dir).passwordHash("alice@example.org").orElseThrow();
        assertThat(PasswordHashes.verify(hash, "secret pass".toCharArray())).isTrue();

        assertThat(run("", "user", "alias", "alice@example.org", "info@example.org", "--data-dir", dir.toString())).isZero();
        assertThat(run("", "user", "add", "box@example.org", "--no-password", "--data-dir", dir.toString())).isZero();
        assertThat(run("", "user", "list", "--data-dir", dir.toString())).isZero();
        assertThat(out.toString()).isEqualTo("alice@example.org aliases: info@example.org\nbox@example.org (no login)\n");
    }

    @Test
    void passwdReplacesThePassword() {
        run("one\n", "user", "add", "a@example.org", "--password-stdin", "--data-dir", dir.toString());
        assertThat(run("two\n", "user", "passwd", "a@example.org", "--password-stdin", "--data-dir", dir.toString())).isZero();
        String hash = UserStore.open(dir).passwordHash("a@example.org").orElseThrow();
        assertThat(PasswordHashes.verify(hash, "two".toCharArray())).isTrue();
        assertThat(PasswordHashes.verify(hash, "one".toCharArray())).isFalse();
    }

    @Test
    void delRemovesTheAccount() {
        run("pw\n", "user", "add", "a@example.org", "--password-stdin", "--data-dir", dir.toString());
        assertThat(run("", "user", "del", "a@example.org", "--data-dir", dir.toString())).isZero();
        assertThat(UserStore.open(dir).list()).isEmpty();
    }

    @Test
    void adminFlagsAndDomainsLiveInUsersJsonWithTheFilesStore() throws Exception {
        assertThat(run("pw\n", "user", "add", "root@example.org", "--admin", "--password-stdin", "--data-dir", dir.toString()))
                .isZero();
        assertThat(run("", "user", "add", "box@example.org", "--no-password", "--data-dir", dir.toString())).isZero();
        assertThat(run("", "user", "admin", "root@example.org", "off", "--data-dir", dir.toString())).isZero();
        assertThat(run("", "user", "admin", "box@example.org", "on", "--data-dir", dir.toString())).isZero();
        assertThat(out.toString()).isEqualTo("box@example.org is an admin\n");
        assertThat(run("", "user", "admin", "nobody@example.org", "on", "--data-dir", dir.toString())).isEqualTo(1);
        assertThat(err.toString()).isEqualTo("posthorn user admin: unknown account: nobody@example.org\n");
        assertThat(run("", "user", "admin", "box@example.org", "maybe", "--data-dir", dir.toString())).isEqualTo(2);
        assertThat(run("", "user", "list", "--data-dir", dir.toString())).isZero();
        assertThat(out.toString()).isEqualTo("box@example.org (no login) (admin)\nroot@example.org\n");

        assertThat(run("", "domain", "add", "example.org", "--data-dir", dir.toString())).isZero();
        assertThat(run("", "domain", "list", "--data-dir", dir.toString())).isZero();
        // Without --config the embedded defaults apply, whose server.domains is ["localhost"].
        assertThat(out.toString()).isEqualTo("example.org\nlocalhost (server.domains)\n");
        assertThat(UserStore.open(dir)).isInstanceOfSatisfying(dev.posthorn.store.DirectoryStore.class,
                store -> assertThat(store.domains()).containsExactly("example.org"));
    }

    @Test
    void errorsAreOneLineWithExitCodeOne() {
        run("pw\n", "user", "add", "a@example.org", "--password-stdin", "--data-dir", dir.toString());

        assertThat(run("pw\n", "user", "add", "a@example.org", "--password-stdin", "--data-dir", dir.toString())).isEqualTo(1);
        assertThat(err.toString()).isEqualTo("posthorn user add: address already exists: a@example.org\n");

        assertThat(run("", "user", "del", "nobody@example.org", "--data-dir", dir.toString())).isEqualTo(1);
        assertThat(err.toString()).isEqualTo("posthorn user del: unknown address: nobody@example.org\n");

        assertThat(run("x\n", "user", "passwd", "nobody@example.org", "--password-stdin", "--data-dir", dir.toString())).isEqualTo(1);
        assertThat(err.toString()).isEqualTo("posthorn user passwd: unknown account: nobody@example.org\n");

        assertThat(run("", "user", "alias", "nobody@example.org", "x@example.org", "--data-dir", dir.toString())).isEqualTo(1);
        assertThat(err.toString()).isEqualTo("posthorn user alias: unknown account: nobody@example.org\n");

        assertThat(run("pw\n", "user", "add", "not-an-address", "--password-stdin", "--data-dir", dir.toString())).isEqualTo(1);
        assertThat(err.toString()).isEqualTo("posthorn user add: invalid address 'not-an-address': expected local@domain\n");

        assertThat(run("", "user", "add", "b@example.org", "--password-stdin", "--data-dir", dir.toString())).isEqualTo(1);
        assertThat(err.toString()).isEqualTo("posthorn user add: no password on standard input\n");
        assertThat(UserStore.open(dir).exists("b@example.org")).isFalse();
    }

    @Test
    void withoutAConsoleAndWithoutPasswordStdinTheCommandSaysWhatToDo() {
        // Tests run without a terminal, so System.console() is null (or not interactive) here.
        org.junit.jupiter.api.Assumptions.assumeTrue(System.console() == null);
        assertThat(run("", "user", "add", "a@example.org", "--data-dir", dir.toString())).isEqualTo(1);
        assertThat(err.toString()).isEqualTo("posthorn user add: no console to ask for the password: use --password-stdin\n");
    }

    @Test
    void badFlagsExitTwo() {
        assertThat(run("", "user", "add", "a@example.org", "--bogus", "--data-dir", dir.toString())).isEqualTo(2);
        assertThat(run("", "user", "alias", "only-one@example.org", "--data-dir", dir.toString())).isEqualTo(2);
    }

    private int run(String stdin, String... args) {
        System.setIn(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)));
        out = new StringWriter();
        err = new StringWriter();
        CommandLine cli = Main.commandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        return cli.execute(args);
    }
}
