package dev.posthorn.delivery.target;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.file.Path;

/** A message's content held in memory, as the spool hands a message it has not written out; no file behind it. */
record BytesContent(byte[] bytes) implements MessageContent {

    @Override
    public InputStream open() {
        return new ByteArrayInputStream(bytes);
    }

    @Override
    public Path file() {
        throw new UnsupportedOperationException();
    }

    @Override
    public long size() {
        return bytes.length;
    }
}
