package dev.posthorn.mailauth.spf;

import dev.posthorn.mailauth.AuthDns;
import dev.posthorn.mailauth.DomainNames;
import java.util.Locale;
import org.apache.james.jspf.executor.SPFResult;
import org.apache.james.jspf.executor.SynchronousSPFExecutor;
import org.apache.james.jspf.impl.SPF;

/**
 * SPF (RFC 7208) with Apache jSPF: {@link #mailFrom} checks the MAIL FROM identity (for the null reverse-path,
 * postmaster@HELO, §2.4), {@link #helo} the HELO identity (§2.3). The DNS comes from the message's
 * {@link AuthDns}.
 */
public final class SpfChecker {

    private static final JspfDns SERVICE = new JspfDns();
    /** Stateless between checks (each has its own session); shared, as James shares it. */
    private static final SPF SPF_ENGINE = engine();

    private SpfChecker() {
    }

    private static SPF engine() {
        SPF spf = new SPF(SERVICE, new SynchronousSPFExecutor(SERVICE));
        spf.setUseBestGuess(false);
        return spf;
    }

    public static SpfResult mailFrom(AuthDns dns, String clientIp, String sender, String helo) {
        String identity = sender == null || sender.isEmpty() ? "postmaster@" + helo : sender;
        String domain = identity.substring(identity.lastIndexOf('@') + 1).toLowerCase(Locale.ROOT);
        return check(dns, clientIp, identity, domain, sender == null || sender.isEmpty() ? "" : sender, helo);
    }

    public static SpfResult helo(AuthDns dns, String clientIp, String helo) {
        return check(dns, clientIp, helo, helo.toLowerCase(Locale.ROOT), "", helo);
    }

    private static SpfResult check(AuthDns dns, String clientIp, String identity, String domain, String mailFrom,
            String helo) {
        if (!DomainNames.isValid(domain) || !domain.contains(".")) {
            // RFC 7208 §4.3: a malformed domain, or a single label, has no SPF record to check.
            return new SpfResult(SpfResult.Verdict.NONE, identity, domain, "not a checkable domain");
        }
        SpfLimits limited = new SpfLimits(dns);
        SPFResult result;
        RuntimeException failure = null;
        try {
            result = SERVICE.with(limited, () -> SPF_ENGINE.checkSPF(clientIp, mailFrom,
                    helo == null || helo.isEmpty() ? domain : helo));
        } catch (RuntimeException e) {
            result = null;
            failure = e;
        }
        if (limited.exceeded() != null) {
            // RFC 7208 §4.6.4: passing a processing limit is a permerror, whatever jSPF made of the aborted lookup.
            return new SpfResult(SpfResult.Verdict.PERMERROR, identity, domain, limited.exceeded());
        }
        if (result == null) {
            return new SpfResult(SpfResult.Verdict.TEMPERROR, identity, domain, "SPF evaluation failed: " + failure);
        }
        SpfResult.Verdict verdict;
        try {
            verdict = SpfResult.Verdict.valueOf(result.getResult().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException | NullPointerException e) {
            verdict = SpfResult.Verdict.PERMERROR;
        }
        return new SpfResult(verdict, identity, domain, result.getExplanation());
    }
}
