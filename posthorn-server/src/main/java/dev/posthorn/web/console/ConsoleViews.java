package dev.posthorn.web.console;

import java.util.List;

/** The models of the console's templates ({@code src/main/jte/admin}): plain values, everything escaped by JTE. */
public final class ConsoleViews {

    private ConsoleViews() {
    }

    /** What the console's layout needs: title, stylesheet, and the logged-in account with its CSRF token (or nulls). */
    public record Frame(String title, String section, String cssUrl, String iconUrl, String version, String account,
                        String csrf) {
    }

    /** @param token the login form's CSRF token (double submit: the same value is in a cookie) */
    public record LoginPage(Frame frame, String token, String error, String user) {
    }

    public record Refusal(Frame frame, String heading, String text) {
    }

    /** The filters as typed (empty strings when not given), for the form to show them again. */
    public record Filter(String state, String domain, String sender, String recipient, String older) {
    }

    public record Row(String id, String received, String state, String sender, String recipients, String lastReply,
                      String nextAttempt) {
    }

    public record QueuePage(Frame frame, Filter filter, List<String> states, List<Row> rows, int total, String notice,
                            List<dev.posthorn.queue.SetAside> unreadable) {
    }

    public record AttemptView(String at, String outcome, String destination, String host, String tls, String reply,
                              String explanation, String code, String codeHref) {
    }

    public record RecipientView(String address, String status, String nextAttempt, int attemptsOmitted,
                                List<AttemptView> attempts) {
    }

    public record MessagePage(Frame frame, String id, String state, String received, String client, String sender,
                              long size, List<RecipientView> recipients, String notice) {
    }

    /** One account as the users page lists it. */
    public record UserRow(String address, boolean admin, List<String> aliases) {
    }

    public record UsersPage(Frame frame, List<UserRow> users, String notice) {
    }

    public record DomainsPage(Frame frame, List<String> stored, List<String> configured, String notice) {
    }

    /** A record to publish: {@code id} names the element its copy button copies. */
    public record DnsRecordView(String id, String name, String type, String value, String comment) {
    }

    /** What the check found for one record: the status's word and the catalogue's explanation. */
    public record DnsFindingView(String record, String status, String verdict, String explanation) {
    }

    public record DnsDomainView(String domain, String id, List<DnsRecordView> records, String zone,
                                List<String> advice, List<DnsFindingView> findings, String summary, boolean inOrder) {
    }

    public record DnsPage(Frame frame, String host, String checkedAt, List<DnsDomainView> domains) {
    }
}
