package dev.posthorn.delivery;

import java.util.ArrayList;
import java.util.List;

/** {@code [dns]}: which resolvers to ask for MX, A and AAAA records, so tests and air-gapped sites can use their own. */
public class DnsConfig {
    /** "host" or "host:port" (IPv6: "[::1]:53"); empty = the system's resolvers. */
    public List<String> servers = new ArrayList<>();
    public int timeoutSeconds = 5;
    public int retries = 2;
}
