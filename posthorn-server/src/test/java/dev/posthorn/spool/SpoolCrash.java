package dev.posthorn.spool;

/** For tests outside this package: a spool stopped as a killed server would be, its journal the only copy. */
public final class SpoolCrash {

    private SpoolCrash() {
    }

    public static void crash(Spool spool) throws Exception {
        spool.journal().syncAll();
        spool.simulateCrash();
    }
}
