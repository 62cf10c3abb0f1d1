package dev.opskit.examples.cli;

import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/** Decodes UTF-8 bytes into a writer, keeping a character split across writes whole. */
final class WriterOutputStream extends OutputStream {
  private final PrintWriter writer;
  private final CharsetDecoder decoder =
      StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPLACE)
          .onUnmappableCharacter(CodingErrorAction.REPLACE);
  private final ByteBuffer pending = ByteBuffer.allocate(8192);
  private final CharBuffer chars = CharBuffer.allocate(8192);

  WriterOutputStream(PrintWriter writer) {
    this.writer = writer;
  }

  @Override
  public synchronized void write(int b) {
    write(new byte[] {(byte) b}, 0, 1);
  }

  @Override
  public synchronized void write(byte[] data, int offset, int length) {
    int i = offset;
    int end = offset + length;
    while (i < end) {
      int n = Math.min(pending.remaining(), end - i);
      pending.put(data, i, n);
      i += n;
      pending.flip();
      while (true) {
        chars.clear();
        decoder.decode(pending, chars, false);
        chars.flip();
        if (!chars.hasRemaining()) {
          break;
        }
        writer.append(chars);
      }
      pending.compact();
    }
  }

  @Override
  public synchronized void flush() {
    writer.flush();
  }
}
