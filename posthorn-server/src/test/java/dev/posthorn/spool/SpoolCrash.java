package dev.posthorn.spool;

/** For tests outside this package: a spool stopped as a killed server would be, its journal the only copy. */
public final class SpoolCrash {

    private SpoolCrash() {
    }

    public static void crash(Spool spool) throws Exception {
        spool.journal().syncAll();
        spool.simulateCrash();
    }

    /**
     * Where the records of a segment end and the zeros written ahead of them begin: where a crash's torn write
     * would be (tests that damage a segment's tail act there, not at the end of the file).
     */
    static long recordsEnd(java.nio.file.Path segment) throws java.io.IOException {
        try (var channel = java.nio.channels.FileChannel.open(segment)) {
            JournalReader reader = new JournalReader(channel);
            long end = Journal.SEGMENT_HEADER;
            while (reader.next() instanceof JournalReader.Record) {
                end = channel.position();
            }
            return end;
        }
    }

    /** The segment's bytes up to {@link #recordsEnd}: without the zeros written ahead. */
    static byte[] records(java.nio.file.Path segment) throws java.io.IOException {
        return java.util.Arrays.copyOf(java.nio.file.Files.readAllBytes(segment), (int) recordsEnd(segment));
    }
}
