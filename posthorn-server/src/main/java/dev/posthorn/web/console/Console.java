package dev.posthorn.web.console;

import dev.posthorn.queue.Attempt;
import dev.posthorn.queue.MessageState;
import dev.posthorn.queue.QueueActions;
import dev.posthorn.queue.QueueSelector;
import dev.posthorn.queue.QueueView;
import dev.posthorn.queue.RecipientState;
import dev.posthorn.server.AdminLogin;
import dev.posthorn.server.PosthornServer;
import dev.posthorn.server.QueueGauges;
import dev.posthorn.spool.Envelope;
import dev.posthorn.spool.EnvelopeRecipient;
import dev.posthorn.web.WebModule;
import dev.posthorn.web.assets.StaticAssets;
import dev.posthorn.web.http.Caching;
import dev.posthorn.web.http.Endpoint;
import dev.posthorn.web.http.Routes;
import dev.posthorn.web.http.WebRequest;
import dev.posthorn.web.http.WebResponse;
import dev.posthorn.web.pages.Templates;
import java.net.InetAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The operator's console under {@code /admin}, on the reference site's server with its templates and look: the
 * login (administrators only, under the SMTP AUTH throttle), the queue with filters and each message's timeline,
 * and the queue actions, carried out by {@link QueueActions} in this process exactly as {@code posthorn queue}
 * asks a running server to. Every page needs a session; every form carries the session's CSRF token; every
 * action is logged with who did it ({@code posthorn.console}).
 *
 * <p>Pages are plain HTML forms: the site's Content-Security-Policy allows no script at all, and nothing here
 * needs one (the dashboard alone loads one same-origin script under its own policy, {@link Dashboard#CSP}).
 */
public final class Console implements WebModule {

    /** The login form's own CSRF token (double submit): there is no session before the login. */
    static final String LOGIN_COOKIE = "posthorn_login";
    static final List<String> STATES = List.of("", "queued", "active", "deferred", "held");

    private final PosthornServer server;
    private final Templates templates;
    private final StaticAssets assets;
    private final String version;
    private final boolean loopbackOnly;
    private final ConsoleSessions sessions;
    private final Clock clock;
    private final ConsoleQueue queue;
    private final DomainDns dns;

    /** @param loopbackOnly answer only clients on loopback addresses ({@code [web] console = "loopback"}) */
    public Console(PosthornServer server, Templates templates, StaticAssets assets, String version,
                   boolean loopbackOnly, Clock clock) {
        this.server = server;
        this.templates = templates;
        this.assets = assets;
        this.version = version;
        this.loopbackOnly = loopbackOnly;
        this.clock = clock;
        this.sessions = new ConsoleSessions(clock);
        this.queue = new ConsoleQueue(server, clock);
        this.dns = new DomainDns(server, clock);
    }

    /** The dashboard with its live figures, behind this console's login. */
    public WebModule dashboard() {
        return new Dashboard(this, server);
    }

    /** The queue this console shows and acts on: this node's, or with PostgreSQL the whole cluster's. */
    ConsoleQueue queue() {
        return queue;
    }

    /** The hosted domains' DNS records and their check, for the DNS page and the API. */
    DomainDns domainDns() {
        return dns;
    }

    /** The DNS and authentication page, behind this console's login. */
    public WebModule dnsPages() {
        return new DnsPages(this, dns, clock);
    }

    String hostname() {
        return server.hostname();
    }

    /** The users, aliases and domains pages, behind this console's login. */
    public WebModule directoryPages() {
        return new DirectoryPages(this, server);
    }

    @Override
    public void register(Routes routes) {
        routes.get("/admin", guarded(request -> redirect("/admin/dashboard")));
        routes.get("/admin/login", guarded(this::loginForm));
        routes.add("POST", "/admin/login", guarded(this::login));
        routes.add("POST", "/admin/logout", guarded(authenticated(this::logout)));
        routes.get("/admin/queue", guarded(authenticated(this::queue)));
        routes.get("/admin/queue/{id}", guarded(authenticated(this::message)));
        routes.add("POST", "/admin/queue/actions", guarded(authenticated(this::queueAction)));
    }

    /** An endpoint that also knows who is logged in. */
    @FunctionalInterface
    interface SessionEndpoint {
        WebResponse handle(WebRequest request, ConsoleSessions.Session session) throws Exception;
    }

    /** Off loopback (unless configured otherwise) the console does not exist: 404, as any unknown address. */
    Endpoint guarded(Endpoint endpoint) {
        return request -> {
            if (loopbackOnly && !isLoopback(request.client())) {
                return page(404, "admin/refused.jte", new ConsoleViews.Refusal(frame("Not found", "", null),
                        "Not found", "The console answers on this server's loopback address only."));
            }
            return endpoint.handle(request);
        };
    }

    /**
     * No page without a live session of an account that is still an administrator; no POST without the session's
     * CSRF token. A GET without a session goes to the login; a POST is refused (403).
     */
    Endpoint authenticated(SessionEndpoint endpoint) {
        return request -> {
            Optional<ConsoleSessions.Session> found = live(request.header("cookie"));
            boolean post = request.method().equals("POST");
            if (found.isEmpty()) {
                return post ? refuse(403, "Not logged in", "Log in again: the session has ended or never began.")
                        : redirect("/admin/login");
            }
            ConsoleSessions.Session session = found.get();
            if (post && !ConsoleSessions.sameToken(request.field("csrf"), session.csrf())) {
                AuditLog.warn("console: {} {} by {} from {} refused: the form's CSRF token is missing or wrong",
                        request.method(), request.path(), session.account(), request.client());
                return refuse(403, "Form refused", "The form was sent without its security token. Reload the page "
                        + "and send it again.");
            }
            return endpoint.handle(request, session);
        };
    }

    /**
     * The cookie's session if its account is still an administrator with the password it logged in with; else
     * the session ends here. A password change or a withdrawn admin flag so ends every session at its next request.
     */
    Optional<ConsoleSessions.Session> live(String cookieHeader) {
        Optional<ConsoleSessions.Session> found = sessions.find(cookieHeader);
        if (found.isPresent() && !server.adminLogin().stillAdmin(found.get().account(), found.get().credential())) {
            sessions.close(found.get().id());
            return Optional.empty();
        }
        return found;
    }

    private WebResponse loginForm(WebRequest request) {
        String token = sessions.token();
        return page(200, "admin/login.jte", new ConsoleViews.LoginPage(frame("Log in", "", null), token, null, ""))
                .withHeader("Set-Cookie", cookie(LOGIN_COOKIE, token, request.secure(), -1));
    }

    private WebResponse login(WebRequest request) throws Exception {
        String expected = ConsoleSessions.cookie(request.header("cookie"), LOGIN_COOKIE);
        if (!ConsoleSessions.sameToken(request.field("csrf"), expected)) {
            AuditLog.warn("console: login from {} refused: the form's CSRF token is missing or wrong", request.client());
            return refuse(403, "Form refused", "The login form was sent without its security token. Open the "
                    + "login page again.");
        }
        String user = request.field("user") == null ? "" : request.field("user").strip();
        String password = request.field("password") == null ? "" : request.field("password");
        InetAddress client = InetAddress.getByName(request.client());
        // An address with control characters is no account's, and must not reach the throttle's log line as is.
        AdminLogin.Outcome outcome = user.isEmpty() || !user.equals(printable(user)) ? AdminLogin.Outcome.REFUSED
                : server.adminLogin().attempt(client, user, password.toCharArray());
        switch (outcome) {
            case ADMITTED -> {
                String account = server.adminLogin().canonical(user);
                // The browser's previous session (another account's, or this one's) ends: one cookie, one session.
                String previous = ConsoleSessions.cookie(request.header("cookie"), ConsoleSessions.COOKIE);
                if (previous != null) {
                    sessions.close(previous);
                }
                ConsoleSessions.Session session = sessions.open(account, server.adminLogin().credential(account));
                AuditLog.info("console: actor={} action=login from={}", account, request.client());
                return redirect("/admin/queue")
                        .withHeader("Set-Cookie", cookie(ConsoleSessions.COOKIE, session.id(), request.secure(), -1));
            }
            case THROTTLED -> {
                AuditLog.warn("console: login as {} from {} throttled", user, request.client());
                return loginAgain(request, 429, user, "Too many failed logins from this address or for this "
                        + "account. Wait a while, then try again.");
            }
            default -> {
                AuditLog.warn("console: login as {} from {} refused", user, request.client());
                return loginAgain(request, 401, user, "Wrong address or password, or the account is not an "
                        + "administrator.");
            }
        }
    }

    private WebResponse loginAgain(WebRequest request, int status, String user, String error) {
        String token = sessions.token();
        return page(status, "admin/login.jte", new ConsoleViews.LoginPage(frame("Log in", "", null), token, error, user))
                .withHeader("Set-Cookie", cookie(LOGIN_COOKIE, token, request.secure(), -1));
    }

    private WebResponse logout(WebRequest request, ConsoleSessions.Session session) {
        sessions.close(session.id());
        AuditLog.info("console: actor={} action=logout from={}", session.account(), request.client());
        return redirect("/admin/login").withHeader("Set-Cookie", cookie(ConsoleSessions.COOKIE, "", request.secure(), 0));
    }

    private WebResponse queue(WebRequest request, ConsoleSessions.Session session) {
        ConsoleViews.Filter filter = new ConsoleViews.Filter(text(request.query("state")), text(request.query("domain")),
                text(request.query("sender")), text(request.query("recipient")), text(request.query("older")));
        QueueSelector selector = selector(filter);
        Instant now = clock.instant();
        QueueView view = queue.view(null);
        List<ConsoleViews.Row> rows = new ArrayList<>();
        for (QueueView.Entry entry : view.messages()) {
            String state = stateOf(entry.state());
            if (!filter.state().isEmpty() && !filter.state().equals(state)) {
                continue;
            }
            if (selector != null && !selector.matches(entry.envelope(), now)) {
                continue;
            }
            rows.add(row(entry, state));
        }
        return page(200, "admin/queue.jte", new ConsoleViews.QueuePage(frame("Queue", "queue", session), filter,
                STATES, rows, view.total(), notice(request), queue.unreadable()));
    }

    private WebResponse message(WebRequest request, ConsoleSessions.Session session) {
        String id = request.param("id");
        QueueView view = queue.view(id);
        if (view.messages().isEmpty()) {
            return page(404, "admin/refused.jte", new ConsoleViews.Refusal(frame("Not in the queue", "queue", session),
                    "Not in the queue", "Message " + id + " is not in the queue: delivered, bounced or deleted."));
        }
        QueueView.Entry entry = view.messages().get(0);
        Envelope e = entry.envelope();
        List<ConsoleViews.RecipientView> recipients = new ArrayList<>();
        for (RecipientState r : entry.state().recipients) {
            List<ConsoleViews.AttemptView> attempts = r.attempts.stream().map(Console::attempt).toList();
            recipients.add(new ConsoleViews.RecipientView(r.address, r.status.name().toLowerCase(Locale.ROOT),
                    r.nextAttempt == null || r.status.done() ? null : time(r.nextAttempt),
                    Math.max(0, r.attemptsMade() - attempts.size()), attempts));
        }
        return page(200, "admin/message.jte", new ConsoleViews.MessagePage(frame("Message " + id, "queue", session),
                id, stateOf(entry.state()), time(e.receivedAt()), e.clientAddress(), sender(e), e.size(), recipients,
                notice(request)));
    }

    private WebResponse queueAction(WebRequest request, ConsoleSessions.Session session) {
        QueueActions.Verb verb;
        try {
            verb = QueueActions.Verb.valueOf(text(request.field("verb")).toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            return refuse(400, "Unknown action", "The action must be retry, hold, release or delete.");
        }
        List<String> ids = request.fields("id").stream().map(String::strip).filter(s -> !s.isEmpty()).toList();
        String back = "message".equals(request.field("back")) && ids.size() == 1 ? "/admin/queue/" + ids.get(0)
                : "/admin/queue";
        if (ids.isEmpty()) {
            return redirect(back + "?done=none");
        }
        QueueActions.Result result;
        try {
            result = queue.apply(
                    new QueueActions.Request(verb, new QueueSelector(ids, false, null, null, null, null), false));
        } catch (RuntimeException e) {
            // Audited whatever happened: the answer names what was (not) changed.
            AuditLog.warn("console: actor={} action=queue-{} target={} from={} failed: {}", session.account(),
                    verb.name().toLowerCase(Locale.ROOT), String.join(",", ids), request.client(), e.getMessage());
            return refuse(503, "The action failed", e.getMessage() == null ? e.toString() : e.getMessage());
        }
        AuditLog.info("console: actor={} action=queue-{} target={} changed={} unknown={} from={}", session.account(),
                verb.name().toLowerCase(Locale.ROOT), String.join(",", ids), result.ids().size(),
                result.unknown().size(), request.client());
        if (verb == QueueActions.Verb.DELETE && back.startsWith("/admin/queue/")) {
            back = "/admin/queue";
        }
        return redirect(back + "?done=" + verb.name().toLowerCase(Locale.ROOT) + "&count=" + result.ids().size());
    }

    /** The notice after an action, from its verb and count only: nothing the address bar carries is echoed. */
    static String notice(WebRequest request) {
        String done = request.query("done");
        if (done == null) {
            return null;
        }
        if (done.equals("none")) {
            return "Nothing was selected.";
        }
        String directory = DirectoryPages.notice(done);
        if (directory != null) {
            return directory;
        }
        int count;
        try {
            count = Integer.parseInt(text(request.query("count")));
        } catch (NumberFormatException e) {
            return null;
        }
        String past = switch (done) {
            case "retry" -> "set to be retried now";
            case "hold" -> "held";
            case "release" -> "released";
            case "delete" -> "deleted";
            default -> null;
        };
        return past == null ? null : count + " message(s) " + past + ".";
    }

    private static QueueSelector selector(ConsoleViews.Filter f) {
        Duration older = null;
        if (!f.older().isEmpty()) {
            try {
                older = Duration.ofMinutes(Long.parseLong(f.older()));
            } catch (NumberFormatException e) {
                older = null;
            }
        }
        if (f.domain().isEmpty() && f.sender().isEmpty() && f.recipient().isEmpty() && older == null) {
            return null;
        }
        return new QueueSelector(List.of(), false, blankToNull(f.domain()), blankToNull(f.sender()),
                blankToNull(f.recipient()), older);
    }

    private static ConsoleViews.Row row(QueueView.Entry entry, String state) {
        Envelope e = entry.envelope();
        String to = e.recipients().stream().map(EnvelopeRecipient::address).collect(Collectors.joining(", "));
        String lastReply = "";
        Instant next = null;
        for (RecipientState r : entry.state().recipients) {
            if (r.status.done()) {
                continue;
            }
            Attempt last = r.attempts.isEmpty() ? null : r.attempts.get(r.attempts.size() - 1);
            if (last != null && lastReply.isEmpty()) {
                // The reply's lines as received: each still starts with its enhanced code (RFC 2034).
                lastReply = last.code() + (last.reply().isEmpty() ? "" : " " + last.reply().get(0));
            }
            if (r.nextAttempt != null && (next == null || r.nextAttempt.isBefore(next))) {
                next = r.nextAttempt;
            }
        }
        return new ConsoleViews.Row(e.id(), time(e.receivedAt()), state, sender(e), to, lastReply,
                next == null ? "" : time(next));
    }

    private static ConsoleViews.AttemptView attempt(Attempt a) {
        String code = a.enhanced() != null ? a.enhanced() : String.valueOf(a.code());
        // As the remote sent it: each line is the text after the basic code, enhanced code included (RFC 2034).
        String reply = a.reply().stream().map(line -> a.code() + " " + line).collect(Collectors.joining("\n"));
        return new ConsoleViews.AttemptView(time(a.at()), a.outcome(), a.destination(), a.remoteHost(), a.tls(), reply,
                a.explanation() == null ? "" : a.explanation(), code, "/en/codes/" + code);
    }

    private static String stateOf(MessageState state) {
        return QueueGauges.stateOf(state).name().toLowerCase(Locale.ROOT);
    }

    private static String sender(Envelope e) {
        return e.hasNullSender() ? "<> (a notice)" : e.sender();
    }

    private static String time(Instant instant) {
        return instant.truncatedTo(ChronoUnit.SECONDS).toString().replace('T', ' ').replace("Z", " UTC");
    }

    private static String text(String s) {
        return s == null ? "" : s.strip();
    }

    private static String blankToNull(String s) {
        return s.isEmpty() ? null : s;
    }

    ConsoleViews.Frame frame(String title, String section, ConsoleSessions.Session session) {
        return new ConsoleViews.Frame(title, section, assets.url("posthorn.css"), assets.url("icon.svg"), version,
                session == null ? null : session.account(), session == null ? null : session.csrf());
    }

    WebResponse page(int status, String template, Object model) {
        return WebResponse.html(status, templates.render(template, model), Caching.NONE);
    }

    WebResponse refuse(int status, String heading, String text) {
        return page(status, "admin/refused.jte", new ConsoleViews.Refusal(frame(heading, "", null), heading, text));
    }

    static WebResponse redirect(String location) {
        return WebResponse.redirect(303, location, Caching.NONE, null);
    }

    /**
     * HttpOnly (no script reads it), SameSite=Strict (no other site's page sends it), Secure over HTTPS;
     * {@code maxAge} 0 deletes it, -1 keeps it for the browser session. The session cookie has Path=/: the REST
     * API under /api/v1 takes the session too (RFC 6265 §5.1.4: a cookie with Path=/admin never reaches it); the
     * login form's token needs only /admin.
     */
    static String cookie(String name, String value, boolean secure, int maxAge) {
        String path = name.equals(ConsoleSessions.COOKIE) ? "/" : "/admin";
        return name + "=" + value + "; Path=" + path + "; HttpOnly; SameSite=Strict" + (secure ? "; Secure" : "")
                + (maxAge >= 0 ? "; Max-Age=" + maxAge : "");
    }

    /**
     * An administrator withdrawing their own admin flag or deleting their own account: refused in the console
     * and the API alike, so the last administrator cannot lock everyone out by a slip (the CLI on the server
     * still can, deliberately).
     */
    boolean removesSelf(String account, String action, String address) {
        return (action.equals("user-admin-off") || action.equals("user-delete"))
                && server.adminLogin().canonical(address.strip()).equals(account);
    }

    static final String SELF_REFUSED = "An administrator cannot withdraw their own admin flag or delete their own "
            + "account here: another administrator can, or posthorn user on the server.";

    /** What a client typed, fit for one log line: control characters (CR, LF) cannot forge another line. */
    static String printable(String s) {
        String t = s.length() > 200 ? s.substring(0, 200) + "..." : s;
        return t.replaceAll("\\p{Cntrl}", "?");
    }

    static boolean isLoopback(String address) {
        try {
            return !address.isEmpty() && InetAddress.getByName(address).isLoopbackAddress();
        } catch (java.net.UnknownHostException e) {
            return false;
        }
    }
}
