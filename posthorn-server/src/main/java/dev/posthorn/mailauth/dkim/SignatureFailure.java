package dev.posthorn.mailauth.dkim;

/** Why a signature cannot pass, with the verdict that reason gives (RFC 6376 §6.1, RFC 8601 §2.7.1). */
public final class SignatureFailure extends Exception {

    private final DkimResult.Verdict verdict;

    public SignatureFailure(DkimResult.Verdict verdict, String reason) {
        super(reason, null, false, false);
        this.verdict = verdict;
    }

    public DkimResult.Verdict verdict() {
        return verdict;
    }
}
