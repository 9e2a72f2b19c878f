package dev.posthorn.cli;

import dev.posthorn.queue.Attempt;
import dev.posthorn.config.ConfigException;
import dev.posthorn.config.ConfigLoader;
import dev.posthorn.config.PosthornConfig;
import dev.posthorn.queue.FileQueueStore;
import dev.posthorn.queue.PgQueueAdmin;
import dev.posthorn.queue.PgQueueStore;
import dev.posthorn.store.StoreBackend;
import dev.posthorn.store.StoreException;
import dev.posthorn.queue.MessageState;
import dev.posthorn.queue.QueueActions;
import dev.posthorn.queue.QueueControl;
import dev.posthorn.queue.QueueSelector;
import dev.posthorn.queue.QueueView;
import dev.posthorn.queue.RecipientState;
import dev.posthorn.queue.SetAside;
import dev.posthorn.queue.StateFile;
import dev.posthorn.spool.CorruptSegment;
import dev.posthorn.spool.Envelope;
import dev.posthorn.spool.EnvelopeCodec;
import dev.posthorn.spool.EnvelopeRecipient;
import dev.posthorn.spool.QueueIds;
import dev.posthorn.spool.Spool;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code posthorn queue list | show ID | retry | delete | hold | release}: stuck mail made visible, local and
 * remote alike, with the next hop's own words, and acted on by id or in bulk ({@code --domain}, {@code --sender},
 * {@code --recipient}, {@code --older-than}, {@code --all}; {@code --dry-run} shows what would change). A running
 * server carries the actions out (through {@link QueueControl}); on a stopped one the command opens the queue and
 * applies the same {@link QueueActions} itself. {@code list} and {@code show} likewise ask a running server for
 * its live queue ({@link QueueView}) and open a stopped one: a fresh message may exist only in the journal.
 */
@Command(name = "queue", mixinStandardHelpOptions = true, description = "Inspect and manage the queue.",
        subcommands = {QueueCommand.ListCommand.class, QueueCommand.ShowCommand.class, QueueCommand.RetryCommand.class,
                QueueCommand.DeleteCommand.class, QueueCommand.HoldCommand.class, QueueCommand.ReleaseCommand.class})
final class QueueCommand extends CommandGroup {

    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss", Locale.ROOT)
            .withZone(ZoneId.systemDefault());

    abstract static class QueueOptions {
        @Option(names = "--data-dir", paramLabel = "DIR", defaultValue = "posthorn-data",
                description = "the server's data directory (default: ${DEFAULT-VALUE})")
        Path dataDir;

        @Option(names = "--config", paramLabel = "FILE", description = "posthorn.toml: with [store] kind = \"postgresql\" "
                + "the command works on the queue in the shared database, from any node or host")
        Path config;

        @Spec
        picocli.CommandLine.Model.CommandSpec spec;

        /**
         * The shared store when {@code --config} names PostgreSQL, else null (the queue under --data-dir).
         *
         * @throws ConfigException a configuration that does not load
         * @throws IOException     no --config, and the data directory's server keeps its queue in PostgreSQL
         */
        StoreBackend sharedStore() throws ConfigException, IOException {
            if (config == null) {
                if (Files.exists(queueDir().resolve(PgQueueStore.MARKER))) {
                    // The spool's files hold none of it: listing them would say "empty" about a full queue.
                    throw new IOException("the queue of the server using " + dataDir + " is in PostgreSQL: give "
                        + "--config with its posthorn.toml");
                }
                return null;
            }
            PosthornConfig loaded = ConfigLoader.load(config, c -> { });
            if (!loaded.store.isPostgresql()) {
                dataDir = Path.of(loaded.server.dataDir);
                return null;
            }
            return StoreBackend.openForCommand(loaded.store, Path.of(loaded.server.dataDir),
                    spec.qualifiedName().replaceFirst("^posthorn ", ""));
        }

        Path queueDir() {
            return dataDir.resolve("queue");
        }

        PrintWriter out() {
            return spec.commandLine().getOut();
        }

        PrintWriter err() {
            return spec.commandLine().getErr();
        }
    }

    /** One message in the queue: its envelope, its state (null: never attempted), what a server attempts now. */
    record Item(Envelope envelope, MessageState state, Set<String> inFlight) {
    }

    /**
     * The queue as it is: a running server answers from its live queue (a message accepted a moment ago may be in
     * its journal and memory only, with no files yet); a stopped queue is read from its files. {@code id} null:
     * the listing, else that one message.
     */
    static QueueView view(Path queueDir, String id) throws IOException, InterruptedException {
        if (QueueControl.serverRunning(queueDir)) {
            return QueueControl.query(queueDir, new QueueView.Query(id), QueueControl.WAIT);
        }
        if (!Files.isDirectory(queueDir)) {
            return QueueView.EMPTY;
        }
        return filesView(queueDir, id);
    }

    /**
     * A stopped queue, read from its files and nothing else: a listing must not recover, lock or write the queue
     * (a server starting meanwhile, a full disk, an operator without write access). Messages whose only copy is
     * the journal (a server stopped without its last checkpoint) are not in the files: {@link #journalPending}
     * says so, and the next start replays them.
     */
    private static QueueView filesView(Path queueDir, String id) throws IOException {
        List<Path> files = new ArrayList<>();
        if (id != null) {
            if (QueueIds.valid(id)) {
                files.add(queueDir.resolve(id + ".env"));
            }
        } else {
            try (DirectoryStream<Path> stream = Files.newDirectoryStream(queueDir, "*.env")) {
                stream.forEach(files::add);
            }
            files.sort(null);
        }
        List<QueueView.Entry> entries = new ArrayList<>();
        for (Path f : files.subList(0, Math.min(files.size(), QueueView.MAX_MESSAGES))) {
            try {
                Envelope e = EnvelopeCodec.read(f);
                entries.add(new QueueView.Entry(e, StateFile.read(queueDir, e.id()), Set.of()));
            } catch (IOException unreadable) {
                // Gone since the directory was read, or unreadable: the server sets those aside, and the
                // listing names them below (SetAside.scan).
            }
        }
        return new QueueView(entries, id != null ? entries.size() : files.size());
    }

    /** Journal records of a stopped queue not yet written out as files (a running server lists them itself). */
    static boolean journalPending(Path queueDir) throws IOException {
        return !QueueControl.serverRunning(queueDir) && Spool.journalHoldsRecords(queueDir);
    }
    static final String JOURNAL_PENDING = "The server stopped with messages in its journal not yet written out as "
            + "files: they are not listed here; its next start replays them (start it, then list again).";

    private static Item item(QueueView.Entry e) {
        return new Item(e.envelope(), e.state(), e.inFlight());
    }

    private static RecipientState stateOf(Item item, int index) {
        return item.state() == null ? null : item.state().byIndex(index);
    }

    private static String statusOf(Item item, int index) {
        EnvelopeRecipient r = item.envelope().recipients().get(index);
        if (item.inFlight().contains((item.envelope().id() + " " + r.address()).toLowerCase(Locale.ROOT))) {
            return "in flight";
        }
        RecipientState s = stateOf(item, index);
        return s == null ? "queued" : s.status.name().toLowerCase(Locale.ROOT).replace('_', ' ');
    }

    @Command(name = "list", description = "One line per message: id, sender, recipients, state, attempts, next attempt, "
            + "last reply; then the messages set aside as unreadable and the journal segments set aside as damaged, "
            + "if any.")
    static final class ListCommand extends QueueOptions implements Callable<Integer> {
        @Override
        public Integer call() throws IOException, InterruptedException {
            QueueView view;
            boolean shared;
            try (StoreBackend store = sharedStore()) {
                shared = store != null;
                view = shared ? PgQueueAdmin.view(store.database().orElseThrow(), null) : view(queueDir(), null);
            } catch (IOException | ConfigException | StoreException e) {
                err().println("posthorn queue list: " + e.getMessage());
                return 1;
            }
            List<Item> items = view.messages().stream().map(QueueCommand::item).toList();
            boolean pending = !shared && journalPending(queueDir());
            if (items.isEmpty() && !pending) {
                out().println("The queue is empty.");
            } else if (!items.isEmpty()) {
                out().printf("%-16s %-28s %-32s %-16s %8s  %-19s  %s%n", "ID", "SENDER", "RECIPIENTS", "STATE",
                        "ATTEMPTS", "NEXT ATTEMPT", "LAST REPLY");
                for (Item item : items) {
                    printLine(item);
                }
                out().println(items.size() == view.total() ? items.size() + " message(s)."
                        : view.total() + " message(s); the first " + items.size() + " are listed.");
            }
            if (pending) {
                out().println(JOURNAL_PENDING);
            }
            List<SetAside> aside;
            if (shared) {
                try (StoreBackend store = sharedStore()) {
                    aside = PgQueueAdmin.setAside(store.database().orElseThrow());
                } catch (IOException | ConfigException | StoreException e) {
                    err().println("posthorn queue list: " + e.getMessage());
                    return 1;
                }
            } else {
                aside = SetAside.scan(queueDir());
            }
            if (!aside.isEmpty()) {
                out().println();
                out().println("Messages set aside because their " + (shared ? "rows" : "files") + " cannot be read (not delivered until repaired or "
                        + "deleted):");
                for (SetAside a : aside) {
                    out().println("  " + a.id() + ": " + a.reason());
                }
            }
            List<CorruptSegment> corrupt = shared || !Files.isDirectory(queueDir()) ? List.of()
                    : Spool.corruptSegments(queueDir());
            if (!corrupt.isEmpty()) {
                out().println();
                out().println("Journal segments set aside because of a damaged record (kept for inspection):");
                for (CorruptSegment c : corrupt) {
                    out().println("  " + c.file() + ": " + c.reason());
                }
            }
            return 0;
        }

        private void printLine(Item item) {
            Envelope e = item.envelope();
            List<String> states = new ArrayList<>();
            if (item.state() != null && item.state().held) {
                states.add("held");
            }
            int attempts = 0;
            Instant next = null;
            Attempt last = null;
            for (int i = 0; i < e.recipients().size(); i++) {
                String s = statusOf(item, i);
                if (!states.contains(s)) {
                    states.add(s);
                }
                RecipientState rs = stateOf(item, i);
                if (rs != null) {
                    attempts = Math.max(attempts, rs.attemptsMade());
                    if (rs.nextAttempt != null && !rs.status.done() && (next == null || rs.nextAttempt.isBefore(next))) {
                        next = rs.nextAttempt;
                    }
                    Attempt a = rs.lastAttempt();
                    if (a != null && (last == null || a.at().isAfter(last.at()))) {
                        last = a;
                    }
                }
            }
            String rcpts = String.join(",", e.recipients().stream().map(EnvelopeRecipient::address).toList());
            out().printf("%-16s %-28s %-32s %-16s %8d  %-19s  %s%n", e.id(),
                    abbreviate(e.hasNullSender() ? "<>" : e.sender(), 28), abbreviate(rcpts, 32), String.join(",", states),
                    attempts, next == null ? "-" : TIME.format(next),
                    last == null ? "-" : abbreviate(last.code() + " " + String.join(" ", last.reply()), 100));
        }
    }

    @Command(name = "show", description = "A message's envelope and each recipient's timeline of attempts.")
    static final class ShowCommand extends QueueOptions implements Callable<Integer> {
        @Parameters(paramLabel = "ID", description = "the queue id")
        String id;

        @Override
        public Integer call() throws IOException, InterruptedException {
            QueueView view;
            boolean shared;
            try (StoreBackend store = sharedStore()) {
                shared = store != null;
                view = !QueueIds.valid(id) ? QueueView.EMPTY
                        : shared ? PgQueueAdmin.view(store.database().orElseThrow(), id) : view(queueDir(), id);
            } catch (IOException | ConfigException | StoreException e) {
                err().println("posthorn queue show: " + e.getMessage());
                return 1;
            }
            Item item = view.messages().isEmpty() ? null : item(view.messages().get(0));
            if (item == null) {
                err().println("posthorn queue show: no message " + id + " in " + (shared ? "the shared queue" : queueDir())
                        + (!shared && journalPending(queueDir()) ? "; " + JOURNAL_PENDING : ""));
                return 1;
            }
            Envelope e = item.envelope();
            PrintWriter out = out();
            out.println("Message " + e.id() + (item.state() != null && item.state().held
                    ? "  HELD (posthorn queue release " + e.id() + " to let it go)" : ""));
            out.println("  From:      <" + e.sender() + ">");
            out.println("  Received:  " + TIME.format(e.receivedAt()) + " from " + e.clientAddress()
                    + (e.clientHelo() == null ? "" : " (" + e.clientHelo() + ")")
                    + (e.authUser() == null ? "" : ", authenticated as " + e.authUser()));
            out.println("  Size:      " + e.size() + " bytes" + (e.body() == null ? "" : ", BODY=" + e.body())
                    + (e.smtputf8() ? ", SMTPUTF8" : "") + (e.ret() == null ? "" : ", RET=" + e.ret())
                    + (e.envid() == null ? "" : ", ENVID=" + e.envid()));
            for (int i = 0; i < e.recipients().size(); i++) {
                EnvelopeRecipient r = e.recipients().get(i);
                RecipientState s = stateOf(item, i);
                out.println();
                StringBuilder head = new StringBuilder("  <" + r.address() + ">  " + statusOf(item, i)
                        + (r.local() ? " (local)" : ""));
                if (s != null && s.nextAttempt != null && !s.status.done()) {
                    head.append(", next attempt ").append(TIME.format(s.nextAttempt));
                }
                if (r.notifyOn() != null && !r.notifyOn().isEmpty()) {
                    head.append(", NOTIFY=").append(String.join(",", r.notifyOn()));
                }
                out.println(head);
                if (s == null || s.attempts.isEmpty()) {
                    out.println("    no attempt yet");
                    continue;
                }
                for (Attempt a : s.attempts) {
                    out.println("    " + TIME.format(a.at()) + "  " + a.outcome() + "  via "
                            + (a.remoteHost() == null ? "no server (none answered, or DNS had none)" : a.remoteHost()));
                    for (int l = 0; l < a.reply().size(); l++) {
                        out.println("        " + a.code() + (l == a.reply().size() - 1 ? " " : "-") + a.reply().get(l));
                    }
                    out.println("      means: " + a.explanation());
                    if (a.tls() != null) {
                        out.println("      tls:   " + a.tls());
                    }
                }
            }
            return 0;
        }
    }

    /** The selection shared by every action: ids, or filters, or --all; and --dry-run. */
    abstract static class ActionCommand extends QueueOptions implements Callable<Integer> {
        private static final Pattern DURATION = Pattern.compile("(\\d+)([smhd])");

        @Parameters(paramLabel = "ID", arity = "0..*", description = "queue ids")
        List<String> ids = new ArrayList<>();

        @Option(names = "--all", description = "every message in the queue")
        boolean all;

        @Option(names = "--domain", paramLabel = "DOMAIN", description = "messages with a recipient in this domain")
        String domain;

        @Option(names = "--sender", paramLabel = "ADDRESS", description = "messages from this sender (<> for bounces)")
        String sender;

        @Option(names = "--recipient", paramLabel = "ADDRESS", description = "messages to this recipient")
        String recipient;

        @Option(names = "--older-than", paramLabel = "AGE", description = "messages received longer ago than AGE: "
                + "30m, 12h, 5d")
        String olderThan;

        @Option(names = "--dry-run", description = "show what would be affected, change nothing")
        boolean dryRun;

        /** Which action; each subcommand differs only in this and its name and description. */
        private final QueueActions.Verb verb;

        ActionCommand(QueueActions.Verb verb) {
            this.verb = verb;
        }

        final QueueActions.Verb verb() {
            return verb;
        }

        @Override
        public Integer call() throws IOException, InterruptedException {
            String name = QueueActions.verbName(verb());
            Duration age;
            try {
                age = olderThan == null ? null : parseAge(olderThan);
            } catch (IllegalArgumentException e) {
                err().println("posthorn queue " + name + ": --older-than " + olderThan + ": use a number and s, m, h or d, "
                        + "e.g. 12h");
                return 2;
            }
            QueueSelector selector = new QueueSelector(ids, all, domain, sender, recipient, age);
            if (selector.empty()) {
                err().println("posthorn queue " + name + ": give queue ids, --all, or a filter (--domain, --sender, "
                        + "--recipient, --older-than)");
                return 2;
            }
            QueueActions.Request request = new QueueActions.Request(verb(), selector, dryRun);
            boolean running;
            boolean shared;
            QueueActions.Result result;
            try (StoreBackend store = sharedStore()) {
                // In the shared database every node sees the rows an operator changes: no server is asked.
                shared = store != null;
                running = shared || QueueControl.serverRunning(queueDir());
                result = store != null ? PgQueueAdmin.apply(store.database().orElseThrow(), request, Clock.systemUTC())
                        : running ? QueueControl.request(queueDir(), request, QueueControl.WAIT) : offline(request);
            } catch (IOException | IllegalStateException | ConfigException | StoreException e) {
                err().println("posthorn queue " + name + ": " + e.getMessage());
                return 1;
            }
            String what = dryRun ? "would " + name : switch (verb()) {
                case RETRY -> "retried";
                case DELETE -> "deleted";
                case HOLD -> "held";
                case RELEASE -> "released";
            };
            out().println((dryRun ? "Dry run: " : "") + what + " " + result.ids().size() + " message(s)"
                    + (dryRun || running || result.ids().isEmpty() ? "" : stoppedNote()));
            result.ids().forEach(id -> out().println("  " + id + (result.setAside().contains(id)
                    ? " (set aside, unreadable: " + (dryRun ? "its files would be removed)" : "its files are removed)")
                    : "")));
            for (String id : result.unknown()) {
                err().println("posthorn queue " + name + ": no message " + id + " in "
                        + (shared ? "the shared queue" : queueDir()));
            }
            return result.unknown().isEmpty() ? 0 : 1;
        }

        private String stoppedNote() {
            return verb() == QueueActions.Verb.RETRY || verb() == QueueActions.Verb.RELEASE
                    ? " (no server is running: they are tried as soon as it starts)" : " (no server is running)";
        }

        /** No server: open the queue (its lock keeps a server from starting meanwhile) and act on it directly. */
        private QueueActions.Result offline(QueueActions.Request request) throws IOException {
            if (!Files.isDirectory(queueDir())) {
                return new QueueActions.Result(List.of(), request.selector().ids(), List.of());
            }
            // The spool closes (its lock released, its threads stopped) even when the store cannot be opened.
            try (Spool spool = new Spool(queueDir());
                    FileQueueStore store = new FileQueueStore(spool, Clock.systemUTC())) {
                return QueueActions.apply(store, request, Clock.systemUTC());
            }
        }

        static Duration parseAge(String text) {
            Matcher m = DURATION.matcher(text.trim().toLowerCase(Locale.ROOT));
            if (!m.matches()) {
                throw new IllegalArgumentException(text);
            }
            long n = Long.parseLong(m.group(1));
            return switch (m.group(2)) {
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                case "h" -> Duration.ofHours(n);
                default -> Duration.ofDays(n);
            };
        }
    }

    @Command(name = "retry", description = "Attempt messages now instead of at their next attempt time.")
    static final class RetryCommand extends ActionCommand {
        RetryCommand() {
            super(QueueActions.Verb.RETRY);
        }
    }

    @Command(name = "delete", description = "Remove messages from the queue without any notice to the sender.")
    static final class DeleteCommand extends ActionCommand {
        DeleteCommand() {
            super(QueueActions.Verb.DELETE);
        }
    }

    @Command(name = "hold", description = "Keep messages in the queue without attempting them until released.")
    static final class HoldCommand extends ActionCommand {
        HoldCommand() {
            super(QueueActions.Verb.HOLD);
        }
    }

    @Command(name = "release", description = "Let held messages be attempted again.")
    static final class ReleaseCommand extends ActionCommand {
        ReleaseCommand() {
            super(QueueActions.Verb.RELEASE);
        }
    }

    private static String abbreviate(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max - 1) + "…";
    }
}
