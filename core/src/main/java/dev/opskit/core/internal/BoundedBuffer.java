package dev.opskit.core.internal;

import dev.opskit.core.Command;
import dev.opskit.core.ExecResult;
import java.io.IOException;
import java.io.OutputStream;
import java.util.Arrays;

/**
 * An in-memory sink that keeps the first {@code limit} bytes written to it and counts (but drops)
 * the rest, so a command printing gigabytes cannot exhaust the heap. Thread-safe.
 */
public final class BoundedBuffer extends OutputStream {
  private final int limit;
  private byte[] bytes = new byte[64];
  private int size;
  private long total;

  /** A run of a command that streams its output to two sinks. */
  @FunctionalInterface
  public interface Streaming {
    /** Runs the command, writing its output to the sinks. */
    ExecResult run(OutputStream stdout, OutputStream stderr)
        throws IOException, InterruptedException;
  }

  /**
   * The buffered form of a streaming run: collects each stream in a buffer capped at {@code
   * command}'s {@link Command#maxOutputBytes()} and returns the result with those bytes and the
   * truncation flags.
   */
  public static ExecResult collect(Command command, Streaming streaming)
      throws IOException, InterruptedException {
    BoundedBuffer out = new BoundedBuffer(command.maxOutputBytes());
    BoundedBuffer err = new BoundedBuffer(command.maxOutputBytes());
    ExecResult result = streaming.run(out, err);
    return ExecResult.builder()
        .from(result)
        .stdout(out.toByteArray())
        .stderr(err.toByteArray())
        .stdoutTruncated(out.truncated())
        .stderrTruncated(err.truncated())
        .build();
  }

  /** A buffer keeping at most {@code limit} bytes. */
  public BoundedBuffer(int limit) {
    if (limit < 0) {
      throw new IllegalArgumentException("limit must not be negative, was " + limit);
    }
    this.limit = limit;
  }

  @Override
  public synchronized void write(int b) {
    write(new byte[] {(byte) b}, 0, 1);
  }

  @Override
  public synchronized void write(byte[] data, int offset, int length) {
    total += length;
    int kept = Math.min(length, limit - size);
    if (kept <= 0) {
      return;
    }
    if (size + kept > bytes.length) {
      int capacity = (int) Math.min(limit, Math.max((long) size + kept, 2L * bytes.length));
      bytes = Arrays.copyOf(bytes, capacity);
    }
    System.arraycopy(data, offset, bytes, size, kept);
    size += kept;
  }

  /** The bytes kept: the first {@code limit} bytes written. */
  public synchronized byte[] toByteArray() {
    return Arrays.copyOf(bytes, size);
  }

  /** True when more than {@code limit} bytes were written, so some were dropped. */
  public synchronized boolean truncated() {
    return total > size;
  }

  /** How many bytes were written in all, kept or not. */
  public synchronized long total() {
    return total;
  }
}
