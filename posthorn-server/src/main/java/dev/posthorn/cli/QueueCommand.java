package dev.posthorn.cli;

import dev.posthorn.queue.Attempt;
import dev.posthorn.queue.MessageState;
import dev.posthorn.queue.QueueControl;
import dev.posthorn.queue.RecipientState;
import dev.posthorn.queue.RecipientStatus;
import dev.posthorn.queue.StateFile;
import dev.posthorn.spool.Envelope;
import dev.posthorn.spool.EnvelopeCodec;
import dev.posthorn.spool.EnvelopeRecipient;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code posthorn queue list | show ID | retry ID|--all | delete ID}: stuck mail made visible, with the remote's
 * own words. Works on a running server's queue (retry and delete go through {@link QueueControl}) and on a
 * stopped one (the files are edited directly).
 */
@Command(name = "queue", mixinStandardHelpOptions = true, description = "Inspect and manage the outbound queue.",
        subcommands = {QueueCommand.ListCommand.class, QueueCommand.ShowCommand.class, QueueCommand.RetryCommand.class,
                QueueCommand.DeleteCommand.class})
final class QueueCommand implements Runnable {

    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss", Locale.ROOT)
            .withZone(ZoneId.systemDefault());

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    abstract static class QueueOptions {
        @Option(names = "--data-dir", paramLabel = "DIR", defaultValue = "posthorn-data",
                description = "the server's data directory (default: ${DEFAULT-VALUE})")
        Path dataDir;

        @Spec
        picocli.CommandLine.Model.CommandSpec spec;

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

    /**
     * One message in the queue: its envelope, its state (when outbound delivery has tried it) and which of its
     * recipients a running server is trying right now.
     */
    record Item(Envelope envelope, MessageState state, java.util.Set<String> inFlight) {
    }

    static List<Item> items(Path queueDir) throws IOException {
        List<Path> files = new ArrayList<>();
        if (!Files.isDirectory(queueDir)) {
            return List.of();
        }
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(queueDir, "*.env")) {
            stream.forEach(files::add);
        }
        files.sort(null);
        java.util.Set<String> inFlight = QueueControl.inFlight(queueDir);
        List<Item> items = new ArrayList<>();
        for (Path f : files) {
            try {
                Envelope e = EnvelopeCodec.read(f);
                items.add(new Item(e, StateFile.read(queueDir, e.id()), inFlight));
            } catch (IOException gone) {
                // Delivered and removed while we listed: not in the queue any more.
            }
        }
        return items;
    }

    static Item item(Path queueDir, String id) throws IOException {
        Path env = queueDir.resolve(id + ".env");
        if (!id.matches("[A-Za-z0-9_-]+") || !Files.exists(env)) {
            return null;
        }
        return new Item(EnvelopeCodec.read(env), StateFile.read(queueDir, id), QueueControl.inFlight(queueDir));
    }

    private static RecipientState stateOf(Item item, EnvelopeRecipient r) {
        return item.state() == null ? null : item.state().recipient(r.address());
    }

    private static String statusOf(Item item, EnvelopeRecipient r) {
        if (item.inFlight().contains((item.envelope().id() + " " + r.address()).toLowerCase(Locale.ROOT))) {
            return "in flight";
        }
        RecipientState s = stateOf(item, r);
        if (s != null) {
            return s.status.name().toLowerCase(Locale.ROOT).replace('_', ' ');
        }
        return r.local() ? "local" : "queued";
    }

    @Command(name = "list", description = "One line per message: id, sender, recipients, state, attempts, next attempt, last reply.")
    static final class ListCommand extends QueueOptions implements Callable<Integer> {
        @Override
        public Integer call() throws IOException {
            List<Item> items = items(queueDir());
            if (items.isEmpty()) {
                out().println("The queue is empty.");
                return 0;
            }
            out().printf("%-16s %-28s %-32s %-12s %8s  %-19s  %s%n", "ID", "SENDER", "RECIPIENTS", "STATE", "ATTEMPTS",
                    "NEXT ATTEMPT", "LAST REPLY");
            for (Item item : items) {
                Envelope e = item.envelope();
                List<String> states = new ArrayList<>();
                int attempts = 0;
                Instant next = null;
                Attempt last = null;
                for (EnvelopeRecipient r : e.recipients()) {
                    String s = statusOf(item, r);
                    if (!states.contains(s)) {
                        states.add(s);
                    }
                    RecipientState rs = stateOf(item, r);
                    if (rs != null) {
                        attempts = Math.max(attempts, rs.attempts.size());
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
                out().printf("%-16s %-28s %-32s %-12s %8d  %-19s  %s%n", e.id(), abbreviate(e.hasNullSender() ? "<>" : e.sender(), 28),
                        abbreviate(rcpts, 32), String.join(",", states), attempts, next == null ? "-" : TIME.format(next),
                        last == null ? "-" : abbreviate(last.code() + " " + String.join(" ", last.reply()), 100));
            }
            out().println(items.size() + " message(s).");
            return 0;
        }
    }

    @Command(name = "show", description = "A message's envelope and each recipient's timeline of attempts.")
    static final class ShowCommand extends QueueOptions implements Callable<Integer> {
        @Parameters(paramLabel = "ID", description = "the queue id")
        String id;

        @Override
        public Integer call() throws IOException {
            Item item = item(queueDir(), id);
            if (item == null) {
                err().println("posthorn queue show: no message " + id + " in " + queueDir());
                return 1;
            }
            Envelope e = item.envelope();
            PrintWriter out = out();
            out.println("Message " + e.id());
            out.println("  From:      <" + e.sender() + ">");
            out.println("  Received:  " + TIME.format(e.receivedAt()) + " from " + e.clientAddress()
                    + (e.clientHelo() == null ? "" : " (" + e.clientHelo() + ")")
                    + (e.authUser() == null ? "" : ", authenticated as " + e.authUser()));
            out.println("  Size:      " + e.size() + " bytes" + (e.body() == null ? "" : ", BODY=" + e.body())
                    + (e.smtputf8() ? ", SMTPUTF8" : "") + (e.ret() == null ? "" : ", RET=" + e.ret())
                    + (e.envid() == null ? "" : ", ENVID=" + e.envid()));
            for (EnvelopeRecipient r : e.recipients()) {
                RecipientState s = stateOf(item, r);
                out.println();
                StringBuilder head = new StringBuilder("  <" + r.address() + ">  " + statusOf(item, r));
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
                    for (int i = 0; i < a.reply().size(); i++) {
                        out.println("        " + a.code() + (i == a.reply().size() - 1 ? " " : "-") + a.reply().get(i));
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

    @Command(name = "retry", description = "Try a deferred message (or all) now instead of at its next attempt time.")
    static final class RetryCommand extends QueueOptions implements Callable<Integer> {
        @Parameters(paramLabel = "ID", arity = "0..1", description = "the queue id")
        String id;

        @Option(names = "--all", description = "every message in the queue")
        boolean all;

        @Override
        public Integer call() throws IOException, InterruptedException {
            if ((id == null) == !all) {
                err().println("posthorn queue retry: give either an ID or --all");
                return 2;
            }
            String target = all ? QueueControl.ALL : id;
            if (QueueControl.serverRunning(queueDir())) {
                return report(QueueControl.request(queueDir(), "retry", target, Duration.ofSeconds(10)), "retry");
            }
            List<Item> items = all ? items(queueDir()) : java.util.Optional.ofNullable(item(queueDir(), id)).stream().toList();
            if (items.isEmpty() && !all) {
                err().println("posthorn queue retry: no message " + id + " in " + queueDir());
                return 1;
            }
            Instant now = Instant.now();
            for (Item item : items) {
                if (item.state() == null) {
                    continue; // never tried: it goes at once when the server starts
                }
                for (RecipientState r : item.state().recipients) {
                    if (r.status == RecipientStatus.DEFERRED) {
                        r.nextAttempt = now;
                    }
                }
                StateFile.write(queueDir(), item.state());
            }
            out().println("No server is running: " + items.size() + " message(s) will be tried as soon as it starts.");
            return 0;
        }

        private int report(QueueControl.Result result, String verb) {
            return switch (result) {
                case DONE -> {
                    out().println(verb + " requested: the server is trying " + (all ? "every message" : id) + " now.");
                    yield 0;
                }
                case UNKNOWN_ID -> {
                    err().println("posthorn queue " + verb + ": the server has no message " + id + " waiting for outbound delivery");
                    yield 1;
                }
                case NO_ANSWER -> {
                    err().println("posthorn queue " + verb + ": the server did not answer within 10 s; the request stays in "
                            + QueueControl.controlDir(queueDir()));
                    yield 1;
                }
            };
        }
    }

    @Command(name = "delete", description = "Remove a message from the queue without any notice to the sender.")
    static final class DeleteCommand extends QueueOptions implements Callable<Integer> {
        @Parameters(paramLabel = "ID", description = "the queue id")
        String id;

        @Override
        public Integer call() throws IOException, InterruptedException {
            if (item(queueDir(), id) == null) {
                err().println("posthorn queue delete: no message " + id + " in " + queueDir());
                return 1;
            }
            if (QueueControl.serverRunning(queueDir())) {
                QueueControl.Result r = QueueControl.request(queueDir(), "delete", id, Duration.ofSeconds(10));
                if (r != QueueControl.Result.DONE) {
                    err().println("posthorn queue delete: the server did not take the request (" + r + ")");
                    return 1;
                }
            } else {
                // Envelope first: without it the message no longer exists (see Spool.remove).
                Files.deleteIfExists(queueDir().resolve(id + ".env"));
                Files.deleteIfExists(queueDir().resolve(id + ".msg"));
                Files.deleteIfExists(StateFile.path(queueDir(), id));
            }
            out().println("Deleted " + id + ".");
            return 0;
        }
    }

    private static String abbreviate(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max - 1) + "…";
    }
}
