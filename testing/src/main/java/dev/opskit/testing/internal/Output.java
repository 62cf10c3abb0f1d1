package dev.opskit.testing.internal;

/**
 * What one program printed and how it exited, before it is tied to a command.
 *
 * @param exit the exit status
 * @param stdout standard output
 * @param stderr standard error
 */
public record Output(int exit, String stdout, String stderr) {
  /** Exit 0 with this output. */
  public static Output ok(String stdout) {
    return new Output(0, stdout, "");
  }

  /** This exit status with a one-line message on standard error. */
  public static Output fail(int exit, String message) {
    return new Output(
        exit, "", message.isEmpty() || message.endsWith("\n") ? message : message + "\n");
  }

  /** True for exit 0. */
  public boolean isSuccess() {
    return exit == 0;
  }
}
