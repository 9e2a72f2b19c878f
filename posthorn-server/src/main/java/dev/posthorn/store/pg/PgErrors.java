package dev.posthorn.store.pg;

import dev.posthorn.store.StoreException;
import java.net.ConnectException;
import java.net.UnknownHostException;
import java.sql.SQLException;

/**
 * Turns what pgJDBC, HikariCP and Flyway throw into one line for an operator: where (the URL without its
 * parameters), what PostgreSQL said, and what to do about it. SQLSTATE codes are PostgreSQL's (Appendix A of
 * its manual).
 */
final class PgErrors {

    private PgErrors() {
    }

    static StoreException failure(String where, Throwable thrown) {
        return new StoreException("PostgreSQL at " + where + ": " + cause(thrown) + " (fix: " + fix(thrown) + ")",
                thrown);
    }

    /** The first line of the most specific message in the chain. */
    static String cause(Throwable thrown) {
        Throwable specific = thrown;
        for (Throwable t = thrown; t != null; t = t.getCause()) {
            if (t instanceof SQLException || t instanceof ConnectException || t instanceof UnknownHostException) {
                specific = t;
                break;
            }
            specific = t;
        }
        String message = specific.getMessage() == null ? specific.getClass().getSimpleName() : specific.getMessage();
        int newline = message.indexOf('\n');
        return (newline < 0 ? message : message.substring(0, newline)).strip();
    }

    static String fix(Throwable thrown) {
        String state = sqlState(thrown);
        if (state == null) {
            if (has(thrown, UnknownHostException.class)) {
                return "correct the host name in store.url";
            }
            return "check that PostgreSQL runs and that store.url names its host, port and database";
        }
        return switch (state) {
            case "28P01" -> "check store.user and the password (store.password_file)";
            case "28000" -> "let this host, user and database in with a line in pg_hba.conf, then reload PostgreSQL";
            case "3D000" -> "create the database: createdb -O <user> <database>";
            case "53300" -> "raise max_connections in postgresql.conf or lower store.pool_size on the nodes";
            case "57P03" -> "wait for PostgreSQL to finish starting up, or start it";
            case "42501" -> "give store.user the privilege (the database's owner runs the migrations)";
            default -> state.startsWith("08")
                    ? "check that PostgreSQL runs, listens on that host and port (listen_addresses, port) and is"
                            + " reachable from this node"
                    : "see PostgreSQL's log for SQLSTATE " + state;
        };
    }

    /** Whether the failure may pass by itself: no connection (SQLSTATE class 08) or a server starting up. */
    static boolean worthWaiting(Throwable thrown) {
        String state = sqlState(thrown);
        return state == null ? has(thrown, ConnectException.class) : state.startsWith("08") || "57P03".equals(state);
    }

    /**
     * Whether the connection died under the statement: no connection (class 08) or the server ended the session
     * (57P01 admin shutdown, 57P02 crash shutdown, 57P03 cannot connect now). Another connection may succeed.
     */
    static boolean connectionLost(Throwable thrown) {
        // A socket time-out is a server that stopped answering, not a dead connection: asking again would wait
        // as long again.
        String state = sqlState(thrown);
        return state != null && (state.startsWith("08") || state.startsWith("57P0"))
                && !has(thrown, java.net.SocketTimeoutException.class);
    }

    private static String sqlState(Throwable thrown) {
        for (Throwable t = thrown; t != null; t = t.getCause()) {
            if (t instanceof SQLException sql && sql.getSQLState() != null) {
                return sql.getSQLState();
            }
        }
        return null;
    }

    private static boolean has(Throwable thrown, Class<? extends Throwable> type) {
        for (Throwable t = thrown; t != null; t = t.getCause()) {
            if (type.isInstance(t)) {
                return true;
            }
        }
        return false;
    }
}
