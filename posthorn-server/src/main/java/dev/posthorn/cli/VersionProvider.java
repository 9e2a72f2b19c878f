package dev.posthorn.cli;

import dev.posthorn.server.Version;
import picocli.CommandLine;

/** {@code posthorn --version}: the server's version, which the greeting and the web pages show too. */
public final class VersionProvider implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
        return new String[] {"Posthorn " + Version.current()};
    }
}
