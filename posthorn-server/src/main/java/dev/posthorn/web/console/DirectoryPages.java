package dev.posthorn.web.console;

import dev.posthorn.server.PosthornServer;
import dev.posthorn.store.DirectoryStore;
import dev.posthorn.web.WebModule;
import dev.posthorn.web.http.Routes;
import dev.posthorn.web.http.WebRequest;
import dev.posthorn.web.http.WebResponse;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The console's users, aliases and domains: what {@code posthorn user} and {@code posthorn domain} do, on the
 * same store, behind the console's login and CSRF tokens, each change logged with who made it.
 */
final class DirectoryPages implements WebModule {


    /** What the page says after a change, by the change's name: fixed texts, nothing from the address bar. */
    private static final Map<String, String> NOTICES = Map.ofEntries(
            Map.entry("user-add", "The account was added."),
            Map.entry("user-password", "The password was changed."),
            Map.entry("user-admin-on", "The account is an administrator now."),
            Map.entry("user-admin-off", "The account is no longer an administrator."),
            Map.entry("user-delete", "The account was deleted, with its aliases and tokens."),
            Map.entry("alias-add", "The alias was added."),
            Map.entry("alias-delete", "The alias was deleted."),
            Map.entry("domain-add", "The domain is hosted now."),
            Map.entry("domain-delete", "The domain was deleted."),
            Map.entry("refused", "The store refused the change; the log says why."));

    private final Console console;
    private final PosthornServer server;

    DirectoryPages(Console console, PosthornServer server) {
        this.console = console;
        this.server = server;
    }

    static String notice(String done) {
        return NOTICES.get(done);
    }

    @Override
    public void register(Routes routes) {
        routes.get("/admin/users", console.guarded(console.authenticated(this::users)));
        routes.add("POST", "/admin/users", console.guarded(console.authenticated(this::changeUser)));
        routes.get("/admin/domains", console.guarded(console.authenticated(this::domains)));
        routes.add("POST", "/admin/domains", console.guarded(console.authenticated(this::changeDomain)));
    }

    private WebResponse users(WebRequest request, ConsoleSessions.Session session) {
        DirectoryStore d = server.store().directory();
        List<ConsoleViews.UserRow> rows = d.list().stream().map(a -> new ConsoleViews.UserRow(a, d.isAdmin(a), d.aliasesOf(a))).toList();
        return console.page(200, "admin/users.jte", new ConsoleViews.UsersPage(console.frame("Users", "users", session), rows,
                Console.notice(request)));
    }

    private WebResponse changeUser(WebRequest request, ConsoleSessions.Session session) {
        DirectoryStore d = server.store().directory();
        String action = text(request.field("action"));
        String address = text(request.field("address"));
        String password = request.field("password") == null ? "" : request.field("password");
        Runnable change = switch (action) {
            case "user-add" -> () -> d.add(address, password.toCharArray(), "on".equals(request.field("admin")));
            case "user-password" -> () -> d.setPassword(address, password.toCharArray());
            case "user-admin-on" -> () -> d.setAdmin(address, true);
            case "user-admin-off" -> () -> d.setAdmin(address, false);
            case "user-delete" -> () -> d.delete(address);
            // The store's delete takes accounts too: an alias-delete naming an account must not remove it (as the
            // API's DELETE /api/v1/aliases refuses it).
            case "alias-delete" -> () -> {
                if (!d.exists(address) || d.list().contains(address.toLowerCase(Locale.ROOT))) {
                    throw new IllegalArgumentException(address + " is not an alias");
                }
                d.delete(address);
            };
            case "alias-add" -> () -> d.addAlias(address, text(request.field("alias")));
            default -> null;
        };
        if (change == null || address.isEmpty()) {
            return console.refuse(400, "Unknown change", "The form named no change this page makes.");
        }
        if (console.removesSelf(session.account(), action, address)) {
            return console.refuse(409, "Not on your own account", Console.SELF_REFUSED);
        }
        return apply(request, session, action, address, change, "/admin/users");
    }

    private WebResponse domains(WebRequest request, ConsoleSessions.Session session) {
        return console.page(200, "admin/domains.jte", new ConsoleViews.DomainsPage(console.frame("Domains", "domains", session),
                server.store().directory().domains(), server.hostedDomainsConfigured(), Console.notice(request)));
    }

    private WebResponse changeDomain(WebRequest request, ConsoleSessions.Session session) {
        DirectoryStore d = server.store().directory();
        String action = text(request.field("action"));
        String domain = text(request.field("domain")).toLowerCase(Locale.ROOT);
        Runnable change = switch (action) {
            case "domain-add" -> () -> d.addDomain(domain);
            case "domain-delete" -> () -> d.deleteDomain(domain);
            default -> null;
        };
        if (change == null || domain.isEmpty()) {
            return console.refuse(400, "Unknown change", "The form named no change this page makes.");
        }
        return apply(request, session, action, domain, change, "/admin/domains");
    }

    private WebResponse apply(WebRequest request, ConsoleSessions.Session session, String action, String target,
                              Runnable change, String back) {
        try {
            change.run();
        } catch (RuntimeException e) {
            AuditLog.warn("console: actor={} action={} target={} from={} refused: {}", session.account(), action,
                    target, request.client(), e.getMessage());
            return Console.redirect(back + "?done=refused");
        }
        AuditLog.info("console: actor={} action={} target={} from={}", session.account(), action,
                target, request.client());
        return Console.redirect(back + "?done=" + action);
    }

    private static String text(String s) {
        return s == null ? "" : s.strip();
    }
}
