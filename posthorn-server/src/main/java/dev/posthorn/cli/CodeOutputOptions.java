package dev.posthorn.cli;

import dev.posthorn.codes.Catalogue;
import dev.posthorn.codes.Format;
import java.util.Arrays;
import java.util.Locale;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/** {@code --lang} and {@code --format}, shared by {@code explain} and {@code compare}. */
final class CodeOutputOptions {

    @Option(names = "--lang", paramLabel = "LANG", defaultValue = Catalogue.DEFAULT_LANGUAGE,
            description = "Language of the page: en, tr, or any language with a codes/lang file (default: ${DEFAULT-VALUE}).")
    String language;

    @Option(names = "--format", paramLabel = "FORMAT", defaultValue = "text", converter = FormatConverter.class,
            description = "text, markdown, json or html (default: ${DEFAULT-VALUE}).")
    Format format;

    /** Accepts the format in any case ("json", "JSON"); anything else is a usage error (exit 2). */
    static final class FormatConverter implements CommandLine.ITypeConverter<Format> {
        @Override
        public Format convert(String value) {
            try {
                return Format.valueOf(value.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException("unknown format '" + value + "', expected one of "
                        + String.join(", ", Arrays.stream(Format.values())
                                .map(f -> f.name().toLowerCase(Locale.ROOT)).toList()));
            }
        }
    }
}
