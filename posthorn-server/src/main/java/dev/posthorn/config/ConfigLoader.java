package dev.posthorn.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Collectors;

/** Reads {@code posthorn.toml} into {@link PosthornConfig} and validates it, naming the bad key and the fix. */
public final class ConfigLoader {

    private static final ObjectMapper TOML = TomlMapper.builder()
            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .build();

    private ConfigLoader() {
    }

    /** Loads the file, or the defaults when {@code file} is null. */
    public static PosthornConfig load(Path file) throws ConfigException {
        return load(file, config -> { });
    }

    /** Loads, applies command-line overrides, then validates the result. */
    public static PosthornConfig load(Path file, Consumer<PosthornConfig> overrides) throws ConfigException {
        PosthornConfig config = file == null ? new PosthornConfig() : parse(file);
        overrides.accept(config);
        List<ConfigProblem> problems = ConfigValidator.validate(config);
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
        return config;
    }

    private static PosthornConfig parse(Path file) throws ConfigException {
        String text;
        try {
            text = Files.readString(file);
        } catch (NoSuchFileException e) {
            throw single(file.toString(), "file not found", "create it or point --config at an existing file");
        } catch (IOException e) {
            throw single(file.toString(), "cannot be read: " + e.getMessage(), "check the file's permissions");
        }
        try {
            PosthornConfig config = TOML.readValue(text, PosthornConfig.class);
            return config == null ? new PosthornConfig() : config;
        } catch (UnrecognizedPropertyException e) {
            String known = e.getKnownPropertyIds().stream().map(Object::toString)
                    .map(ConfigLoader::snake).sorted().collect(Collectors.joining(", "));
            throw single(path(e), "unknown key", "valid keys here are: " + known);
        } catch (InvalidFormatException e) {
            throw single(path(e), "bad value '" + e.getValue() + "'",
                    "expected " + describe(e.getTargetType()));
        } catch (MismatchedInputException e) {
            throw single(path(e), "wrong type of value", "expected " + describe(e.getTargetType()));
        } catch (JsonProcessingException e) {
            String where = e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr();
            throw single(file.toString(), "not valid TOML" + where + ": " + e.getOriginalMessage(),
                    "see docs/configuration.md for the syntax");
        }
    }

    private static String path(JsonMappingException e) {
        return e.getPath().stream()
                .map(ref -> ref.getFieldName() != null ? key(ref.getFieldName()) : "[" + ref.getIndex() + "]")
                .collect(Collectors.joining(".")).replace(".[", "[");
    }

    /**
     * A key as the operator wrote it. Found by fuzzing: TOML allows the empty quoted key ({@code '' = 1}), which
     * came out as a message naming no key at all (": unknown key").
     */
    private static String key(String fieldName) {
        return fieldName.isEmpty() ? "\"\"" : snake(fieldName);
    }

    private static String snake(String name) {
        return PropertyNamingStrategies.SnakeCaseStrategy.INSTANCE.translate(name);
    }

    private static String describe(Class<?> type) {
        if (type == null) {
            return "another type";
        }
        if (type == int.class || type == Integer.class || type == long.class || type == Long.class) {
            return "a whole number";
        }
        if (type == boolean.class || type == Boolean.class) {
            return "true or false";
        }
        if (List.class.isAssignableFrom(type)) {
            return "a list, like [\"a\", \"b\"]";
        }
        if (type == String.class) {
            return "a string in quotes";
        }
        return "a table of keys";
    }

    private static ConfigException single(String key, String problem, String fix) {
        return new ConfigException(List.of(new ConfigProblem(key, problem, fix)));
    }
}
