package dev.posthorn.config;

import dev.posthorn.store.NodeId;
import dev.posthorn.store.StoreConfig;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.List;

/** Checks of the {@code [store]} section. */
final class StoreConfigValidator {

    private static final String EXAMPLE_URL = "jdbc:postgresql://db.example.com:5432/posthorn";

    private StoreConfigValidator() {
    }

    static void validate(StoreConfig store, List<ConfigProblem> problems) {
        if (!StoreConfig.FILES.equals(store.kind) && !StoreConfig.POSTGRESQL.equals(store.kind)) {
            problems.add(new ConfigProblem("store.kind", "'" + store.kind + "' is not a kind of store",
                    "use \"files\" (one node, the default) or \"postgresql\" (nodes sharing a database)"));
            return;
        }
        if (!store.isPostgresql()) {
            for (String key : List.of("url", "user", "password", "password_file")) {
                String value = switch (key) {
                    case "url" -> store.url;
                    case "user" -> store.user;
                    case "password" -> store.password;
                    default -> store.passwordFile;
                };
                if (value != null && !value.isEmpty()) {
                    problems.add(new ConfigProblem("store." + key, "is set but store.kind is \"files\"",
                            "set kind = \"postgresql\" to use the database, or remove store." + key));
                }
            }
            return;
        }
        if (store.url == null || store.url.isBlank()) {
            problems.add(new ConfigProblem("store.url", "is required with kind = \"postgresql\"",
                    "url = \"" + EXAMPLE_URL + "\""));
        } else if (!store.url.startsWith("jdbc:postgresql:")) {
            problems.add(new ConfigProblem("store.url", "is not a PostgreSQL JDBC URL",
                    "write it as \"" + EXAMPLE_URL + "\""));
        }
        if (store.password != null && store.passwordFile != null) {
            problems.add(new ConfigProblem("store.password", "both password and password_file are set",
                    "keep only password_file, so the password is not in this file"));
        }
        if (store.passwordFile != null) {
            passwordFile(store.passwordFile, problems);
        }
        if (store.poolSize < 1 || store.poolSize > 1000) {
            problems.add(new ConfigProblem("store.pool_size", store.poolSize + " connections",
                    "use 1-1000; each node holds this many, and together they must stay under the database's"
                            + " max_connections"));
        }
        if (store.connectTimeoutSeconds < 1) {
            problems.add(new ConfigProblem("store.connect_timeout_seconds", "must be at least 1", "use e.g. 10"));
        }
        if (store.queryTimeoutSeconds < 1) {
            problems.add(new ConfigProblem("store.query_timeout_seconds", "must be at least 1", "use e.g. 10"));
        }
        if (store.migrationTimeoutSeconds < 1) {
            problems.add(new ConfigProblem("store.migration_timeout_seconds", "must be at least 1", "use e.g. 600"));
        }
        if (store.nodeId != null && !store.nodeId.isEmpty() && !NodeId.SHAPE.matcher(store.nodeId).matches()) {
            problems.add(new ConfigProblem("store.node_id", "'" + store.nodeId + "' is not a node id",
                    "use up to 63 letters, digits, '.', '_' and '-', unique among the nodes (or leave it"
                            + " empty for the host name and a random suffix)"));
        }
    }

    private static void passwordFile(String name, List<ConfigProblem> problems) {
        Path file;
        try {
            file = Path.of(name);
        } catch (InvalidPathException e) {
            problems.add(new ConfigProblem("store.password_file", "not a usable path", "give the file's path"));
            return;
        }
        if (!Files.isRegularFile(file)) {
            problems.add(new ConfigProblem("store.password_file", name + " does not exist",
                    "write the password into it (one line) and make it readable only by Posthorn: chmod 600"));
        } else if (!Files.isReadable(file)) {
            problems.add(new ConfigProblem("store.password_file", name + " cannot be read",
                    "make it readable by the user Posthorn runs as"));
        }
    }
}
