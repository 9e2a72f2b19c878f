package dev.posthorn.queue;

import static org.assertj.core.api.Assertions.assertThat;

import dev.posthorn.store.StoreConfig;
import dev.posthorn.store.pg.PgDatabase;
import dev.posthorn.testing.PostgresServer;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A claim costs what it claims, not what the queue holds: with 20,010 messages of which 30 are due and unheld
 * (and 10 due but held), the plan of
 * the very statement {@link PgQueueStore} runs reads {@code queue_messages} only through indexes (the due ones
 * by next_due, the rows to update by primary key), never a sequential scan of the table.
 */
class PgQueueClaimPlanTest {

    private StoreConfig config;
    private PgDatabase db;

    @BeforeEach
    void fillALongQueue() throws Exception {
        config = PostgresServer.shared().newStoreConfig();
        db = PgDatabase.open(config, "plan"); // migrates
        try (Connection c = PostgresServer.shared().connect(config.url); Statement s = c.createStatement()) {
            // 19,970 waiting for later (a retry tomorrow), 30 due now, 200 held; envelopes of a realistic size.
            s.execute("""
                    INSERT INTO queue_messages (id, received_at, accepted_by, envelope, size, chunks, held, next_due)
                    SELECT 'm' || g, now() - interval '1 hour', 'node-a', repeat('x', 600), 1000, 1, g % 100 = 0,
                           CASE WHEN g <= 30 THEN now() - interval '1 minute' ELSE now() + interval '1 day' END
                    FROM generate_series(1, 20000) g""");
            // And 10 held ones that are due, older than any other: a claim that ignored the hold would take them first.
            s.execute("""
                    INSERT INTO queue_messages (id, received_at, accepted_by, envelope, size, chunks, held, next_due)
                    SELECT 'h' || g, now() - interval '1 hour', 'node-a', repeat('x', 600), 1000, 1, true,
                           now() - interval '1 hour'
                    FROM generate_series(1, 10) g""");
            s.execute("ANALYZE queue_messages");
        }
    }

    @AfterEach
    void close() {
        db.close();
    }

    /**
     * Both plans PostgreSQL may use: a custom plan for the first executions of a prepared statement, then (pgJDBC
     * prepares it on the server from its fifth use) possibly a generic plan, made without the parameters' values:
     * the one that scanned the whole table before the claim found its rows by primary key.
     */
    @ParameterizedTest
    @ValueSource(strings = {"force_custom_plan", "force_generic_plan"})
    void theClaimReadsQueueMessagesOnlyThroughIndexes(String planCacheMode) throws Exception {
        String plan = explain(PgQueueStore.CLAIM, planCacheMode, "FORMAT JSON");
        System.out.println("EXPLAIN (" + planCacheMode + ") of PgQueueStore.CLAIM with 20,000 queued, 30 due:\n"
                + explain(PgQueueStore.CLAIM, planCacheMode, "FORMAT TEXT"));
        assertThat(plan).contains("\"Relation Name\": \"queue_messages\"")
                .doesNotContain("\"Node Type\": \"Seq Scan\"")
                .contains("\"Index Name\": \"queue_messages_pkey\"")
                .contains("\"Index Name\": \"queue_messages_claim\"");
    }

    @Test
    void theClaimTakesTheDueUnheldRows() {
        // The 30 due unheld rows (m1..m30), leased to node-b; never the 10 due held ones (h1..h10).
        java.util.List<String> claimed = db.transaction(c -> {
            try (PreparedStatement s = c.prepareStatement(PgQueueStore.CLAIM)) {
                bind(s);
                java.util.List<String> ids = new java.util.ArrayList<>();
                try (ResultSet r = s.executeQuery()) {
                    while (r.next()) {
                        ids.add(r.getString(1));
                    }
                }
                return ids;
            }
        });
        assertThat(claimed).containsExactlyInAnyOrderElementsOf(
                java.util.stream.IntStream.rangeClosed(1, 30).mapToObj(i -> "m" + i).toList());
    }

    /**
     * EXPLAIN of the statement as PostgreSQL runs a prepared statement under that plan cache mode: PREPAREd with
     * the store's {@code ?} as {@code $1..$4}, EXECUTEd with values like the store's.
     */
    private String explain(String sql, String planCacheMode, String format) {
        StringBuilder numbered = new StringBuilder();
        int n = 0;
        for (char ch : sql.toCharArray()) {
            numbered.append(ch == '?' ? "$" + ++n : String.valueOf(ch));
        }
        assertThat(n).as("parameters of the claim").isEqualTo(4);
        return db.transaction(c -> {
            try (Statement s = c.createStatement()) {
                s.execute("SET LOCAL plan_cache_mode = " + planCacheMode);
                s.execute("PREPARE claim_plan (timestamptz, integer, text, float8) AS " + numbered);
                StringBuilder out = new StringBuilder();
                try (ResultSet r = s.executeQuery("EXPLAIN (" + format + ") EXECUTE claim_plan (now(), 100, 'node-b', 300)")) {
                    while (r.next()) {
                        out.append(r.getString(1)).append('\n');
                    }
                }
                s.execute("DEALLOCATE claim_plan");
                return out.toString();
            }
        });
    }

    /** The parameters the store binds: due limit, how many, node, lease seconds. */
    private static void bind(PreparedStatement s) throws java.sql.SQLException {
        s.setObject(1, OffsetDateTime.ofInstant(Instant.now(), ZoneOffset.UTC));
        s.setInt(2, 100);
        s.setString(3, "node-b");
        s.setDouble(4, 300.0);
    }
}
