package dev.opskit.examples.cli;

import dev.opskit.core.CommandFailedException;
import dev.opskit.core.ExecResult;
import java.io.FileNotFoundException;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.util.regex.Pattern;

/**
 * Turns any exception into the one line a person reads after {@code opskit: }: no class names, no
 * stack traces, no multi-line dumps.
 */
final class CliErrors {
  private static final int MAX_LENGTH = 400;
  private static final Pattern CLASS_PREFIX =
      Pattern.compile("\\b(?:[a-z][a-z0-9_]*\\.)+[A-Z][A-Za-z0-9_$]*(?:Exception|Error): ?");

  private CliErrors() {}

  /** One line describing {@code error}: what failed and, when it adds something, why. */
  static String describe(Throwable error) {
    Throwable top = unwrap(error);
    String message = own(top);
    Throwable root = top;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    if (root != top) {
      String why = own(root);
      if (!why.isEmpty() && !message.toLowerCase().contains(why.toLowerCase())) {
        message = message.isEmpty() ? why : message + ": " + why;
      }
    }
    if (message.isEmpty()) {
      message = "unexpected " + top.getClass().getSimpleName() + " (a bug; please report it)";
    }
    return oneLine(message);
  }

  private static Throwable unwrap(Throwable error) {
    Throwable current = error;
    while (current instanceof UncheckedIOException && current.getCause() != null) {
      current = current.getCause();
    }
    return current;
  }

  /** The exception's own words, translated for the types whose messages are terse or technical. */
  private static String own(Throwable e) {
    String text = e.getMessage() == null ? "" : CLASS_PREFIX.matcher(e.getMessage()).replaceAll("");
    text = text.strip();
    if (e instanceof CommandFailedException) {
      return failedCommand(((CommandFailedException) e).result());
    }
    if (e instanceof ConnectException) {
      return text.toLowerCase().contains("refused") || text.isEmpty() ? "connection refused" : text;
    }
    if (e instanceof NoRouteToHostException) {
      return "no route to host";
    }
    if (e instanceof UnknownHostException) {
      return "unknown host " + text;
    }
    if (e instanceof SocketTimeoutException) {
      return text.isEmpty() ? "timed out" : text;
    }
    if (e instanceof NoSuchFileException) {
      return "no such file or directory: " + text;
    }
    if (e instanceof AccessDeniedException) {
      return "permission denied: " + text;
    }
    if (e instanceof NotDirectoryException) {
      return "not a directory: " + text;
    }
    if (e instanceof FileSystemException) {
      FileSystemException fs = (FileSystemException) e;
      return fs.getFile() + ": " + (fs.getReason() == null ? "cannot access" : fs.getReason());
    }
    if (e instanceof FileNotFoundException) {
      return text;
    }
    if (e instanceof InterruptedException) {
      return "interrupted";
    }
    return text;
  }

  private static String failedCommand(ExecResult result) {
    StringBuilder text = new StringBuilder("`").append(result.command().argv().get(0)).append('`');
    if (result.timedOut()) {
      text.append(" timed out");
    } else if (result.exitCode().isPresent()) {
      text.append(" failed with exit status ").append(result.exitCode().getAsInt());
    } else {
      text.append(" was killed");
      result.exitSignal().ifPresent(signal -> text.append(" by SIG").append(signal));
    }
    String stderr = result.stderrUtf8().strip();
    if (!stderr.isEmpty()) {
      text.append(": ").append(stderr.lines().filter(l -> !l.isBlank()).findFirst().orElse(""));
    }
    return text.toString();
  }

  /** The first line of {@code text}, shortened, with a mark when something was left out. */
  static String oneLine(String text) {
    String stripped = text.strip();
    int newline = stripped.indexOf('\n');
    String line = (newline < 0 ? stripped : stripped.substring(0, newline)).strip();
    boolean cut = newline >= 0;
    if (line.length() > MAX_LENGTH) {
      line = line.substring(0, MAX_LENGTH);
      cut = true;
    }
    return cut ? line + " …" : line;
  }
}
