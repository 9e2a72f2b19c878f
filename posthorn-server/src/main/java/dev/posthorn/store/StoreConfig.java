package dev.posthorn.store;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The {@code [store]} section: where users, domains and (later) the queue live. {@code kind = "files"} (the
 * default) keeps them under {@code server.data_dir}; {@code kind = "postgresql"} keeps them in a database that
 * several nodes share. Field names bind as snake_case. The password is best kept out of the file
 * ({@code password_file}, or pgJDBC's {@code ~/.pgpass} with neither set).
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public final class StoreConfig {

    public static final String FILES = "files";
    public static final String POSTGRESQL = "postgresql";

    /** {@code "files"} or {@code "postgresql"}. */
    public String kind = FILES;
    /** JDBC URL of the database, {@code jdbc:postgresql://host:5432/posthorn}. */
    public String url = "";
    /** Database role; empty lets pgJDBC use the operating-system user name. */
    public String user = "";
    /** The role's password in clear; prefer {@link #passwordFile}. */
    public String password = null;
    /** A file holding the password (one line, a trailing newline is ignored), readable only by Posthorn. */
    public String passwordFile = null;
    /** Connections this node keeps open to the database. */
    public int poolSize = 10;
    /** How long to wait for a connection (at start-up: for the database to answer at all). */
    public int connectTimeoutSeconds = 10;
    /**
     * The longest a statement may run or wait for a lock ({@code statement_timeout}, {@code lock_timeout}), and,
     * with the connect timeout added, for the database to answer at all (pgJDBC's {@code socketTimeout}): a
     * stuck database then costs a command a temporary failure, not a thread and a connection for ever.
     */
    public int queryTimeoutSeconds = 10;
    /** The same limit for the schema migrations a node runs at start-up, which may rewrite whole tables. */
    public int migrationTimeoutSeconds = 600;
    /**
     * This node's name in the cluster (leases of queued mail, {@code application_name} in
     * {@code pg_stat_activity}); empty: the host name and a random suffix, kept in {@code <data_dir>/node-id}.
     */
    public String nodeId = "";
    /**
     * With PostgreSQL: how long a node's claim on a queued message lasts without renewal. A node renews the
     * claims it holds every third of it, so a delivery may take longer; a node that dies loses its claims this
     * long after its last renewal, and another node delivers them.
     */
    public int leaseSeconds = 60;
    /** With PostgreSQL: how often a node asks the database for due mail (from other nodes, retries that fell due). */
    public int pollMillis = 1000;

    public boolean isPostgresql() {
        return POSTGRESQL.equals(kind);
    }

    /**
     * The password from {@code password} or {@code password_file}; null when neither is set (pgJDBC then
     * looks in {@code ~/.pgpass}).
     */
    public String resolvePassword() {
        if (password != null) {
            return password;
        }
        if (passwordFile == null) {
            return null;
        }
        try {
            String text = Files.readString(Path.of(passwordFile), StandardCharsets.UTF_8);
            // One line: an editor's final newline is not part of the password.
            return text.endsWith("\r\n") ? text.substring(0, text.length() - 2)
                    : text.endsWith("\n") ? text.substring(0, text.length() - 1) : text;
        } catch (IOException e) {
            throw new StoreException("store.password_file: cannot read " + passwordFile + ": " + e.getMessage()
                    + " (fix: make the file readable by the user Posthorn runs as)");
        }
    }

    @Override
    public String toString() {
        return "StoreConfig[kind=" + kind + ", url=" + Redaction.url(url) + ", user=" + user + ", password="
                + (password == null ? "unset" : "********") + ", passwordFile=" + passwordFile + ", poolSize="
                + poolSize + ", queryTimeoutSeconds=" + queryTimeoutSeconds + ", nodeId=" + nodeId + ", leaseSeconds="
                + leaseSeconds + ", pollMillis=" + pollMillis + "]";
    }
}
