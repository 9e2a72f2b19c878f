package dev.posthorn.cli;

import dev.posthorn.config.ConfigException;
import dev.posthorn.config.ConfigLoader;
import dev.posthorn.config.PosthornConfig;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * {@code --config} and {@code --data-dir} for commands that work on the store: with a configuration whose
 * {@code [store]} says PostgreSQL they work on the shared database, from any node, whether or not a server
 * runs; otherwise on {@code <data-dir>/users.json}.
 */
final class StoreOptions {

    @Option(names = "--config", paramLabel = "FILE",
            description = "posthorn.toml naming the store (default: none, the files in --data-dir)")
    Path config;

    @Option(names = "--data-dir", paramLabel = "DIR",
            description = "Data directory holding users.json (default: server.data_dir, posthorn-data)")
    Path dataDir;

    /** The configuration file's values with {@code --data-dir} applied, validated. */
    PosthornConfig load() throws ConfigException {
        return ConfigLoader.load(config, c -> {
            if (dataDir != null) {
                c.server.dataDir = dataDir.toString();
            }
        });
    }
}
