package dev.posthorn.delivery.target;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;

/** A queued message's content (CRLF lines, not dot-stuffed), from memory while the spool holds it, else its file. */
public interface MessageContent {

    InputStream open() throws IOException;

    /** The content as a file: a message held in memory is written out first. */
    Path file() throws IOException;

    long size();
}
