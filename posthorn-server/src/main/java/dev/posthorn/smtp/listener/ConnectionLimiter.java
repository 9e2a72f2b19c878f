package dev.posthorn.smtp.listener;

import java.net.InetAddress;
import java.util.HashMap;
import java.util.Map;

/**
 * Explicit admission limits in place of a thread pool's implicit ones: connections in total and per client
 * address, shared by all listeners of a server.
 *
 * <p>Exact under concurrency: both counts change together under one lock, so a connection refused for one
 * limit never holds a place in the other, and an address's count is removed only when it reaches zero inside
 * the same step (a counter updated outside the map once lost increments to a concurrent release). The work
 * under the lock is a map update per connection, far below what accepting a connection costs.
 */
public final class ConnectionLimiter {

    public enum Admission { ADMITTED, TOO_MANY, TOO_MANY_FROM_ADDRESS }

    private final int maxTotal;
    private final int maxPerAddress;
    private final Object lock = new Object();
    private int total;
    private final Map<InetAddress, Integer> perAddress = new HashMap<>();

    public ConnectionLimiter(int maxTotal, int maxPerAddress) {
        this.maxTotal = maxTotal;
        this.maxPerAddress = maxPerAddress;
    }

    public Admission admit(InetAddress address) {
        synchronized (lock) {
            if (total >= maxTotal) {
                return Admission.TOO_MANY;
            }
            int count = perAddress.getOrDefault(address, 0);
            if (count >= maxPerAddress) {
                return Admission.TOO_MANY_FROM_ADDRESS;
            }
            perAddress.put(address, count + 1);
            total++;
            return Admission.ADMITTED;
        }
    }

    /** Gives back the place of an admitted connection (call once per {@link Admission#ADMITTED}). */
    public void release(InetAddress address) {
        synchronized (lock) {
            Integer count = perAddress.get(address);
            if (count == null) {
                throw new IllegalStateException("release without admission for " + address);
            }
            if (count <= 1) {
                perAddress.remove(address);
            } else {
                perAddress.put(address, count - 1);
            }
            total--;
        }
    }

    int connectionsFrom(InetAddress address) {
        synchronized (lock) {
            return perAddress.getOrDefault(address, 0);
        }
    }

    int connections() {
        synchronized (lock) {
            return total;
        }
    }
}
