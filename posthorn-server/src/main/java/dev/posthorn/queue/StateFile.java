package dev.posthorn.queue;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * The JSON form of a {@link MessageState}: the payload of the spool's state records and of {@code <id>.state},
 * which the spool writes (see {@code Spool.writeState}) and anyone may read.
 */
public final class StateFile {

    static final ObjectMapper JSON = JsonMapper.builder()
            .addModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .build();

    private StateFile() {
    }

    public static Path path(Path queueDir, String id) {
        return queueDir.resolve(id + ".state");
    }

    /** The state, or null when the file does not exist (the message was never attempted). */
    public static MessageState read(Path queueDir, String id) throws IOException {
        try {
            return decode(Files.readAllBytes(path(queueDir, id)));
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    static MessageState decode(byte[] json) throws IOException {
        return JSON.readValue(json, MessageState.class);
    }

    static byte[] encode(MessageState state) {
        try {
            return JSON.writeValueAsBytes(state);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a bean of strings, numbers and instants always serialises
        }
    }
}
