package dev.posthorn.delivery;

/**
 * {@code [relay]}: a smarthost that receives all non-local mail, for servers that may not send on port 25.
 * Unset {@code host} means "deliver directly to each domain's MX".
 */
public class RelayConfig {
    public String host;
    public int port = 587;
    public String user;
    public String password;
    /** "required" (default for a smarthost: credentials must not travel in clear) or "opportunistic". */
    public String tls = "required";

    public boolean enabled() {
        return host != null && !host.isBlank();
    }
}
