package dev.posthorn.web.console;

import java.util.Arrays;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The console's and the API's audit lines (logger {@code posthorn.console}): who did what, from where. Every
 * value put into a line passes through {@link Console#printable}, whatever its source (an address, a store's
 * exception message that quotes one), so CR or LF cannot end a line and forge the next one.
 */
final class AuditLog {

    private static final Logger LOG = LoggerFactory.getLogger("posthorn.console");

    private AuditLog() {
    }

    static void info(String format, Object... values) {
        LOG.info(format, printable(values));
    }

    static void warn(String format, Object... values) {
        LOG.warn(format, printable(values));
    }

    private static Object[] printable(Object[] values) {
        return Arrays.stream(values).map(v -> Console.printable(String.valueOf(v))).toArray();
    }
}
