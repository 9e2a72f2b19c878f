package dev.posthorn.spool;

import java.security.SecureRandom;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Queue ids: time-ordered and unique across restarts and nodes, short enough to quote in a reply and safe as a
 * file name (base 36, upper case), like Postfix's long queue ids.
 */
public final class QueueIds {

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final AtomicLong COUNTER = new AtomicLong(RANDOM.nextInt(1 << 20));

    private QueueIds() {
    }

    /** Whether a string can be a queue id: it names files, so letters, digits, '-' and '_' only. */
    public static boolean valid(String id) {
        return id != null && !id.isEmpty() && id.length() <= 64 && id.chars().allMatch(c -> c < 128
                && (Character.isLetterOrDigit(c) || c == '-' || c == '_'));
    }

    static String next() {
        long millis = System.currentTimeMillis();
        long sequence = COUNTER.getAndIncrement() & 0xFFFFF;
        String time = Long.toString(millis, 36);
        String seq = Long.toString(sequence, 36);
        String random = Long.toString(RANDOM.nextInt(36 * 36), 36);
        return (time + "0000".substring(seq.length()) + seq + (random.length() < 2 ? "0" : "") + random)
                .toUpperCase(Locale.ROOT);
    }
}
