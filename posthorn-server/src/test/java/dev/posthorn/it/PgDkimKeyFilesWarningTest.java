package dev.posthorn.it;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.posthorn.mailauth.dkim.DkimAlgorithm;
import dev.posthorn.mailauth.dkim.DkimKeys;
import dev.posthorn.policy.PgDkimKeys;
import dev.posthorn.store.StoreConfig;
import dev.posthorn.store.pg.PgDatabase;
import dev.posthorn.testing.PostgresServer;
import dev.posthorn.testing.RunningServer;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * A site that moves to PostgreSQL: its keys are files in {@code <data_dir>/dkim}, table dkim_keys is empty, and
 * the server signs only with the database's keys. It must say so at start, with the command that ends it and
 * what happens meanwhile (mail for those domains goes out unsigned), and stop saying so once they are imported.
 */
class PgDkimKeyFilesWarningTest {

    @TempDir
    Path dataDir;
    private ListAppender<ILoggingEvent> log;
    private Logger setup;

    @BeforeEach
    void captureLog() {
        setup = (Logger) LoggerFactory.getLogger("dev.posthorn.server.MailAuthSetup");
        log = new ListAppender<>();
        log.start();
        setup.addAppender(log);
    }

    @AfterEach
    void stopCapturing() {
        setup.detachAppender(log);
    }

    private List<String> warnings() {
        return log.list.stream().filter(e -> e.getLevel() == Level.WARN).map(ILoggingEvent::getFormattedMessage)
                .filter(m -> m.startsWith("DKIM")).toList();
    }

    @Test
    void aNodeWithKeyFilesNotInTheDatabaseSaysHowToImportThemAtEveryStartUntilTheyAre() throws Exception {
        DkimKeys files = DkimKeys.under(dataDir);
        files.generate("posthorn.test", "s1", DkimAlgorithm.RSA_SHA256);
        StoreConfig store = PostgresServer.shared().newStoreConfig();

        try (RunningServer server = RunningServer.start(dataDir, c -> c.store = store)) {
            assertThat(warnings()).singleElement().satisfies(w -> assertThat(w)
                    .contains("1 key(s) in " + dataDir.resolve("dkim"))
                    .contains("s1._domainkey.posthorn.test")
                    .contains("mail from posthorn.test goes out UNSIGNED until then")
                    .contains("posthorn dkim import --config"));
        }

        log.list.clear();
        try (PgDatabase db = PgDatabase.open(store, "import")) {
            new PgDkimKeys(db).importFrom(files);
        }
        try (RunningServer server = RunningServer.start(dataDir, c -> c.store = store)) {
            assertThat(warnings()).as("the keys are in the database now").isEmpty();
        }
    }
}
