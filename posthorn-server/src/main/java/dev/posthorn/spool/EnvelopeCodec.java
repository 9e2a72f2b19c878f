package dev.posthorn.spool;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The JSON form of an {@link Envelope} in {@code <id>.env}. */
public final class EnvelopeCodec {

    private static final ObjectMapper MAPPER = new ObjectMapper()
            .registerModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private EnvelopeCodec() {
    }

    public static byte[] encode(Envelope envelope) throws IOException {
        return MAPPER.writeValueAsBytes(envelope);
    }

    public static Envelope decode(byte[] json) throws IOException {
        return MAPPER.readValue(json, Envelope.class);
    }

    public static Envelope read(Path file) throws IOException {
        return MAPPER.readValue(Files.readAllBytes(file), Envelope.class);
    }
}
