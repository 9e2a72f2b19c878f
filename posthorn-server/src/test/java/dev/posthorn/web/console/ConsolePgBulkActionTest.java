package dev.posthorn.web.console;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.posthorn.server.Version;
import dev.posthorn.store.StoreConfig;
import dev.posthorn.testing.PostgresServer;
import dev.posthorn.testing.RunningServer;
import dev.posthorn.web.ReferenceSite;
import dev.posthorn.web.WebServer;
import dev.posthorn.web.WebSettings;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * A bulk action on the queue in PostgreSQL that fails part-way (the database refuses the change of its last
 * message: a trigger raises for that one row) changes nothing, answers 503 saying so, and leaves an audit line
 * naming the actor, the verb, the ids and the failure.
 */
@Timeout(120)
class ConsolePgBulkActionTest {

    @TempDir
    Path dir;

    @Test
    void aBulkHoldTheDatabaseRefusesPartWayChangesNothingAndIsAudited() throws Exception {
        StoreConfig store = PostgresServer.shared().newStoreConfig();
        try (RunningServer node = RunningServer.start(dir.resolve("a"), c -> {
            c.store = store;
            c.routes.put("remote.test", "127.0.0.1:9"); // nothing listens: deferred
            c.queue.retryIntervalsSeconds = new ArrayList<>(List.of(3600L));
        })) {
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                ids.add(node.server().enqueue("sender@posthorn.test", List.of("someone@remote.test"),
                        ("Subject: " + i + "\r\n\r\ny\r\n").getBytes(StandardCharsets.US_ASCII)));
            }
            String last = ids.get(2);
            try (Connection c = PostgresServer.shared().connect(store.url); Statement s = c.createStatement()) {
                s.execute("CREATE FUNCTION refuse_hold() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
                        + " IF NEW.held AND NOT OLD.held AND NEW.id = '" + last + "' THEN"
                        + " RAISE EXCEPTION 'refused by the test trigger'; END IF; RETURN NEW; END $$");
                s.execute("CREATE TRIGGER refuse_hold BEFORE UPDATE ON queue_messages FOR EACH ROW"
                        + " EXECUTE FUNCTION refuse_hold()");
            }
            node.server().store().directory().add("admin@posthorn.test", "pw".toCharArray(), true);
            String token = node.server().store().directory().createToken("admin@posthorn.test", "t", null).secret();
            ch.qos.logback.classic.Logger audit =
                    (ch.qos.logback.classic.Logger) LoggerFactory.getLogger("posthorn.console");
            ListAppender<ILoggingEvent> lines = new ListAppender<>();
            lines.start();
            audit.addAppender(lines);
            WebServer web = ReferenceSite.start(WebSettings.ephemeral(), node.server(), Version.current(), "loopback");
            try {
                HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + web.port() + "/api/v1/queue/actions"))
                        .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString("{\"verb\":\"hold\",\"ids\":[\"" + ids.get(0)
                                + "\",\"" + ids.get(1) + "\",\"" + last + "\"]}"))
                        .timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(r.statusCode()).as(r.body()).isEqualTo(503);
                assertThat(r.body()).contains("could not hold", "refused by the test trigger", "nothing was changed");
                try (Connection c = PostgresServer.shared().connect(store.url); Statement s = c.createStatement();
                        ResultSet rows = s.executeQuery("SELECT count(*) FILTER (WHERE held), count(*)"
                                + " FROM queue_messages")) {
                    rows.next();
                    assertThat(rows.getInt(1)).as("held rows: all or nothing").isZero();
                    assertThat(rows.getInt(2)).isEqualTo(3);
                }
                assertThat(lines.list).filteredOn(e -> e.getLevel() == Level.WARN)
                        .map(ILoggingEvent::getFormattedMessage).anySatisfy(line -> assertThat(line).contains(
                                "actor=admin@posthorn.test", "action=queue-hold",
                                "target=" + String.join(",", ids), "failed", "refused by the test trigger"));
            } finally {
                audit.detachAppender(lines);
                web.close();
            }
        }
    }
}
