package dev.posthorn.cli;

import picocli.CommandLine;

/** The version written into the jar's manifest by Maven, or "dev" when run from classes. */
public final class Version {

    private Version() {
    }

    public static String current() {
        String version = Version.class.getPackage().getImplementationVersion();
        return version == null ? "dev" : version;
    }

    public static final class Provider implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"Posthorn " + current()};
        }
    }
}
