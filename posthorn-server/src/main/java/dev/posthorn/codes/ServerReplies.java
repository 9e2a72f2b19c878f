package dev.posthorn.codes;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.EnumMap;
import java.util.Map;

/** Loads {@code codes/replies.json}: the code, enhanced code and wire text of every {@link ReplyName}. */
public final class ServerReplies {

    private static final String RESOURCE = "/codes/replies.json";
    private static final ServerReplies INSTANCE = load();

    private final Map<ReplyName, Reply> templates;

    private ServerReplies(Map<ReplyName, Reply> templates) {
        this.templates = templates;
    }

    public static ServerReplies instance() {
        return INSTANCE;
    }

    public Reply template(ReplyName name) {
        return templates.get(name);
    }

    Reply reply(ReplyName name, Object... args) {
        Reply template = templates.get(name);
        if (args.length == 0) {
            return template;
        }
        return new Reply(template.code(), template.enhanced(), template.lines().get(0).formatted(args));
    }

    private static ServerReplies load() {
        try (InputStream in = ServerReplies.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + RESOURCE);
            }
            JsonNode root = new ObjectMapper().readTree(in);
            Map<ReplyName, Reply> templates = new EnumMap<>(ReplyName.class);
            for (ReplyName name : ReplyName.values()) {
                JsonNode entry = root.get(name.name());
                if (entry == null) {
                    throw new IllegalStateException(RESOURCE + " has no entry for " + name);
                }
                JsonNode enhanced = entry.get("enhanced");
                templates.put(name, new Reply(entry.get("code").asInt(),
                        enhanced == null ? null : enhanced.asText(), entry.get("text").asText()));
            }
            return new ServerReplies(templates);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
