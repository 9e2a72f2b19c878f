package dev.posthorn.spool;

import java.nio.file.Path;

/** A journal segment with a damaged record, moved aside and kept; {@code reason} says where and what. */
public record CorruptSegment(Path file, String reason) {
}
