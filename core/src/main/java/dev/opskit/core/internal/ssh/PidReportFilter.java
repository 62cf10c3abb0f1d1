package dev.opskit.core.internal.ssh;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.OptionalLong;

/**
 * Passes a remote command's standard error through to a sink while taking out the PID report line
 * that {@link RemoteCommandLine#render} makes the remote shell print first. Only the start of each
 * line is held back (never more than the length of a report line), so memory stays bounded however
 * much the command writes. Written by one thread at a time (the SSH channel's); {@link #pid()} may
 * be read from any thread.
 */
public final class PidReportFilter extends OutputStream {
  private static final int MAX_DIGITS = 19;

  private final OutputStream sink;
  private final byte[] prefix;
  private final byte[] held;
  private int heldLength;
  private boolean atLineStart = true;
  private volatile long pid = -1;

  /** A filter for the report tagged {@code token}, passing everything else to {@code sink}. */
  public PidReportFilter(OutputStream sink, String token) {
    this.sink = sink;
    this.prefix = ("opskit-pid:" + token + ":").getBytes(StandardCharsets.US_ASCII);
    this.held = new byte[prefix.length + MAX_DIGITS + 1];
  }

  /** The PID the remote shell reported, once its report line has arrived. */
  public OptionalLong pid() {
    long value = pid;
    return value < 0 ? OptionalLong.empty() : OptionalLong.of(value);
  }

  @Override
  public void write(int b) throws IOException {
    write(new byte[] {(byte) b}, 0, 1);
  }

  @Override
  public void write(byte[] data, int offset, int length) throws IOException {
    int end = offset + length;
    int i = offset;
    while (i < end) {
      if (pid >= 0) {
        sink.write(data, i, end - i);
        return;
      }
      if (!atLineStart) {
        int newline = indexOf(data, i, end, (byte) '\n');
        int stop = newline < 0 ? end : newline + 1;
        sink.write(data, i, stop - i);
        atLineStart = newline >= 0;
        i = stop;
        continue;
      }
      byte b = data[i++];
      held[heldLength++] = b;
      if (!stillPossible()) {
        sink.write(held, 0, heldLength);
        atLineStart = b == '\n';
        heldLength = 0;
      } else if (b == '\n') {
        pid =
            Long.parseLong(
                new String(
                    held,
                    prefix.length,
                    heldLength - 1 - prefix.length,
                    StandardCharsets.US_ASCII));
        heldLength = 0;
      }
    }
  }

  /** Whether the bytes held so far can still be (the start of) the report line. */
  private boolean stillPossible() {
    int last = heldLength - 1;
    if (last < prefix.length) {
      return held[last] == prefix[last];
    }
    byte b = held[last];
    int digits = last - prefix.length;
    if (b == '\n') {
      return digits > 0;
    }
    return b >= '0' && b <= '9' && digits < MAX_DIGITS;
  }

  private static int indexOf(byte[] data, int from, int to, byte value) {
    for (int i = from; i < to; i++) {
      if (data[i] == value) {
        return i;
      }
    }
    return -1;
  }

  /** Flushes the sink; the start of a line that may still be the report stays held back. */
  @Override
  public void flush() throws IOException {
    sink.flush();
  }

  /** Passes on a held-back partial line; call once the command has finished. */
  public void finish() throws IOException {
    if (heldLength > 0) {
      sink.write(Arrays.copyOf(held, heldLength));
      heldLength = 0;
    }
    sink.flush();
  }
}
