package dev.posthorn.policy;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

/**
 * {@code [mailauth]}: checks of SPF, DKIM, DMARC and ARC on the MX port, DKIM signing of submitted mail and of
 * the server's DSNs, ARC sealing of forwarded mail. The default records results and refuses nothing.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public final class MailAuthConfig {

    /** Check SPF, DKIM, DMARC and ARC on the MX port and record them in Authentication-Results. */
    public boolean enabled = true;
    /** The authserv-id of Authentication-Results (RFC 8601 §2.5); empty means the server's host name. */
    public String authservId = "";
    /** Refuse mail whose DMARC policy says reject when DMARC fails (550 5.7.1); false records only. */
    public boolean dmarcEnforce = false;
    /** Also check SPF for the HELO name (RFC 7208 §2.3) and record it. */
    public boolean spfHelo = true;
    /** DKIM-sign mail from authenticated users and the server's own DSNs when a key exists for the domain. */
    public boolean sign = true;
    /** Add an ARC set (RFC 8617) to mail received on the MX port that is relayed on to another host. */
    public boolean arcSeal = true;
    /** Total time the checks of one message may spend on DNS; then the unanswered ones are temperror. */
    public int deadlineSeconds = 20;
    /** The Public Suffix List for DMARC's organizational domains (Debian's publicsuffix package). */
    public String publicSuffixList = "/usr/share/publicsuffix/public_suffix_list.dat";

    /** Throws IllegalArgumentException naming the key and the fix. */
    public void validate() {
        if (deadlineSeconds < 1) {
            throw new IllegalArgumentException("mailauth.deadline_seconds must be at least 1");
        }
        if (!authservId.isEmpty() && !authservId.matches("[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?")) {
            throw new IllegalArgumentException("mailauth.authserv_id '" + authservId
                    + "' must be a host name (letters, digits, dots, hyphens)");
        }
    }
}
