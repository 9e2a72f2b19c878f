package dev.posthorn.auth;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** Strict UTF-8 decoding of SASL fields: malformed input gives null instead of replacement characters. */
final class Utf8 {

    private Utf8() {
    }

    static String decode(byte[] data, int from, int to) {
        char[] chars = decodeChars(data, from, to);
        return chars == null ? null : new String(chars);
    }

    static char[] decodeChars(byte[] data, int from, int to) {
        try {
            CharBuffer buffer = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(data, from, to - from));
            char[] chars = new char[buffer.remaining()];
            buffer.get(chars);
            if (buffer.hasArray()) {
                Arrays.fill(buffer.array(), '\0');
            }
            return chars;
        } catch (CharacterCodingException e) {
            return null;
        }
    }
}
