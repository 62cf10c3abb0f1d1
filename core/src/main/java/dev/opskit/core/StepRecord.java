package dev.opskit.core;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * One logical step an applier ran inside a command: a program of a batched {@code sh -c} call (an
 * {@code iptables-restore}, an {@code ipset restore}), or a step such as writing a file or {@code
 * sysctl -p}, with its exit status and, when measured, its duration. Handed to {@link
 * ExecutionListener#stepFinished(StepRecord)}, so an audit log can say "iptables-restore ran, 40
 * ms, exit 0" rather than "sh -c with 26 arguments". Immutable.
 *
 * <p>It never holds a step's input or any other standard input: {@link #batch()} is the command
 * without its stdin bytes, and {@link #argv()} is the step's program and arguments only.
 */
public final class StepRecord {
  private final Command batch;
  private final List<String> argv;
  private final Integer exitCode;
  private final Duration duration;

  private StepRecord(Command batch, List<String> argv, Integer exitCode, Duration duration) {
    this.batch = batch;
    this.argv = argv;
    this.exitCode = exitCode;
    this.duration = duration;
  }

  /**
   * A step of {@code batch} that ran {@code argv} and exited with {@code exitCode} (empty when
   * unknown) after {@code duration} (null when not measured). {@code batch}'s stdin is dropped.
   *
   * @throws IllegalArgumentException when {@code argv} is empty or the duration is negative
   */
  public static StepRecord of(
      Command batch, List<String> argv, OptionalInt exitCode, Duration duration) {
    Objects.requireNonNull(batch, "batch");
    Objects.requireNonNull(exitCode, "exitCode");
    if (argv.isEmpty()) {
      throw new IllegalArgumentException("a step's argv must not be empty");
    }
    if (duration != null && duration.isNegative()) {
      throw new IllegalArgumentException("a step's duration must not be negative, was " + duration);
    }
    return new StepRecord(
        batch.withStdin(new byte[0]),
        List.copyOf(argv),
        exitCode.isPresent() ? exitCode.getAsInt() : null,
        duration);
  }

  /** The command the step ran in, as the applier passed it to its executor, without stdin. */
  public Command batch() {
    return batch;
  }

  /** The step's program and arguments. */
  public List<String> argv() {
    return argv;
  }

  /** The step's exit status; empty when unknown. */
  public OptionalInt exitCode() {
    return exitCode == null ? OptionalInt.empty() : OptionalInt.of(exitCode);
  }

  /** True when the step exited with status 0. */
  public boolean isSuccess() {
    return exitCode != null && exitCode == 0;
  }

  /**
   * How long the step ran, when measured: on the host, to its clock's resolution (10 ms for steps
   * of a batched call).
   */
  public Optional<Duration> duration() {
    return Optional.ofNullable(duration);
  }

  /** One line such as {@code iptables-restore --noflush -w: exit 0, 40 ms}. */
  @Override
  public String toString() {
    return String.join(" ", argv)
        + ": "
        + (exitCode == null ? "exit unknown" : "exit " + exitCode)
        + (duration == null ? "" : ", " + duration.toMillis() + " ms");
  }
}
