package dev.posthorn.server;

/** The version written into the jar's manifest by Maven, or "dev" when run from classes. */
public final class Version {

    private Version() {
    }

    public static String current() {
        String version = Version.class.getPackage().getImplementationVersion();
        return version == null ? "dev" : version;
    }
}
