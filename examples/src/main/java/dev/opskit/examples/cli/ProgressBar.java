package dev.opskit.examples.cli;

import java.io.Console;
import java.io.PrintWriter;
import java.lang.reflect.Method;
import java.util.function.LongSupplier;

/**
 * A one-line progress display on stderr for long cluster operations, redrawn in place with a
 * carriage return. Draws nothing unless enabled, which {@link #onTerminal(PrintWriter)} does only
 * when the JVM has a terminal, so redirected output and tests stay clean. Safe for concurrent use.
 */
final class ProgressBar implements AutoCloseable {
  private static final int WIDTH = 24;
  private static final long REDRAW_NANOS = 100_000_000L;

  private final PrintWriter err;
  private final boolean enabled;
  private final LongSupplier clock;
  private long lastDraw = Long.MIN_VALUE;
  private int lastLength;
  private boolean drawn;

  /**
   * A bar drawing on {@code err} when {@code enabled}, throttled by {@code clock} (nanoseconds).
   */
  ProgressBar(PrintWriter err, boolean enabled, LongSupplier clock) {
    this.err = err;
    this.enabled = enabled;
    this.clock = clock;
  }

  /** A progress bar that draws on {@code err} only when this JVM runs on a terminal. */
  static ProgressBar onTerminal(PrintWriter err) {
    return new ProgressBar(err, hasTerminal(), System::nanoTime);
  }

  static boolean hasTerminal() {
    Console console = System.console();
    if (console == null) {
      return false;
    }
    try {
      // From Java 22 a Console exists even when redirected; isTerminal() tells.
      Method isTerminal = Console.class.getMethod("isTerminal");
      return Boolean.TRUE.equals(isTerminal.invoke(console));
    } catch (ReflectiveOperationException e) {
      return true;
    }
  }

  boolean enabled() {
    return enabled;
  }

  /** Shows {@code done} of {@code total} as a bar (total unknown when not positive). */
  synchronized void update(String label, long done, long total) {
    if (!enabled) {
      return;
    }
    long now = clock.getAsLong();
    boolean complete = total > 0 && done >= total;
    if (drawn && !complete && now - lastDraw < REDRAW_NANOS) {
      return;
    }
    lastDraw = now;
    draw(render(label, done, total));
  }

  /** The line for {@code done} of {@code total}: a bar and percentage, or a count alone. */
  static String render(String label, long done, long total) {
    if (total <= 0) {
      return label + ": " + done;
    }
    long shown = Math.max(0, Math.min(done, total));
    int filled = (int) (shown * WIDTH / total);
    return "["
        + "#".repeat(filled)
        + "-".repeat(WIDTH - filled)
        + "] "
        + (shown * 100 / total)
        + "% "
        + label
        + " "
        + shown
        + "/"
        + total;
  }

  private void draw(String line) {
    StringBuilder text = new StringBuilder("\r").append(line);
    if (line.length() < lastLength) {
      text.append(" ".repeat(lastLength - line.length()));
    }
    lastLength = line.length();
    drawn = true;
    err.print(text);
    err.flush();
  }

  /** Clears the line so the command's own output starts on a clean line. */
  @Override
  public synchronized void close() {
    if (enabled && drawn) {
      err.print("\r" + " ".repeat(lastLength) + "\r");
      err.flush();
      drawn = false;
    }
  }
}
