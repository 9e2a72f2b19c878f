package dev.posthorn.auth;

import static org.assertj.core.api.Assertions.assertThat;

import dev.posthorn.store.UserStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CredentialStoreTest {

    // doveadm pw -s BLF-CRYPT -p 'correct horse'  /  doveadm pw -s BLF-CRYPT -r 6 -p 'short'
    private static final String CORRECT_HORSE = "{BLF-CRYPT}$2y$05$LuCn4L.aHwT3Sb7yO2eZZOQJ9KZ9txzwbHqi4g98ASTAua87hjpDa";
    private static final String SHORT = "{BLF-CRYPT}$2y$06$Fxf7ni0xEwF7OxGSo726.e7lEzOr1vEZPq.doy9HquCCIjDjk9C8a";

    @TempDir
    Path dir;

    @Test
    void userStoreAccountsComeFirstAndKnowTheirAddresses() {
        UserStore users = UserStore.open(dir);
        users.add("alice@example.org", "wonderland".toCharArray());
        users.addAlias("alice@example.org", "postmaster@example.org");
        CredentialStore store = CredentialStore.of(users, null);

        assertThat(store.verifyPassword("alice@example.org", "wonderland".toCharArray())).isTrue();
        assertThat(store.verifyPassword("alice@example.org", "Wonderland".toCharArray())).isFalse();
        assertThat(store.scram("ALICE@example.org")).isPresent();
        assertThat(store.addressesOf("Alice@Example.org")).containsExactlyInAnyOrder("alice@example.org", "postmaster@example.org");
        assertThat(store.addressesOf("postmaster@example.org")).as("an alias is not a login").isEmpty();
        assertThat(store.addressesOf("nobody@example.org")).isEmpty();
    }

    @Test
    void passwdFileUsersVerifyAndReloadWhenTheFileChanges() throws Exception {
        Path passwd = dir.resolve("passwd");
        Files.writeString(passwd, "# users\n\ncarol@example.org:" + CORRECT_HORSE + ":1000:1000::/home/carol::\n");
        CredentialStore store = CredentialStore.of(UserStore.open(dir), new PasswdFile(passwd));

        assertThat(store.verifyPassword("carol@example.org", "correct horse".toCharArray())).isTrue();
        assertThat(store.scram("carol@example.org")).isEmpty();
        assertThat(store.addressesOf("carol@example.org")).containsExactly("carol@example.org");

        Path replacement = dir.resolve("passwd.new");
        Files.writeString(replacement, "carol@example.org:" + SHORT + "\ndave:" + CORRECT_HORSE + "\n");
        Files.move(replacement, passwd, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);

        assertThat(store.verifyPassword("carol@example.org", "correct horse".toCharArray())).isFalse();
        assertThat(store.verifyPassword("carol@example.org", "short".toCharArray())).isTrue();
        assertThat(store.verifyPassword("dave", "correct horse".toCharArray())).isTrue();
        assertThat(store.addressesOf("dave")).as("not an address").isEmpty();
    }

    @Test
    void aPasswdFileEntryCannotOpenAnAccountOfTheUserStore() throws Exception {
        UserStore users = UserStore.open(dir);
        users.add("alice@example.org", null);
        Path passwd = dir.resolve("passwd");
        Files.writeString(passwd, "alice@example.org:" + CORRECT_HORSE + "\n");
        CredentialStore store = CredentialStore.of(users, new PasswdFile(passwd));
        assertThat(store.verifyPassword("alice@example.org", "correct horse".toCharArray())).isFalse();
    }

    @Test
    void passwdFileParsingSkipsCommentsBlankAndBrokenLines() {
        assertThat(PasswdFile.parse(java.util.List.of("# c", "", "   ", "nohash", ":x", "Eve:{PLAIN}x:1", "eve:second", "u:h")))
                .containsOnlyKeys("eve", "u")
                .containsEntry("eve", "{PLAIN}x");
    }

    @Test
    void missingPasswdFileMeansNoUsers() {
        PasswdFile file = new PasswdFile(dir.resolve("absent"));
        assertThat(file.verify("x", "y".toCharArray())).isFalse();
    }
}
