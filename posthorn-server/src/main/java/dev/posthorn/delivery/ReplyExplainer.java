package dev.posthorn.delivery;

import java.util.Locale;

/**
 * Explains a remote server's reply in plain language, for bounces, logs and {@code posthorn queue show}.
 * {@link CatalogueExplainer} answers from the codes catalogue; tests may pass a lambda.
 */
@FunctionalInterface
public interface ReplyExplainer {

    /**
     * @param code     the basic reply code (e.g. 550)
     * @param enhanced the enhanced status code (e.g. "5.1.1"), or null when the remote sent none
     * @param lang     the language of the explanation
     */
    String explain(int code, String enhanced, Locale lang);

    /** A whole reply: implementations may say more about replies Posthorn itself made (policy deferrals). */
    default String explain(dev.posthorn.delivery.remote.RemoteReply reply, Locale lang) {
        return explain(reply.code(), reply.enhanced(), lang);
    }
}
