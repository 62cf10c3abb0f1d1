package dev.opskit.sysctl;

import dev.opskit.core.Command;
import dev.opskit.core.CommandExecutor;
import dev.opskit.core.ExecResult;
import dev.opskit.sysctl.internal.Scripts;
import dev.opskit.sysctl.internal.Values;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * Observes, plans, applies and verifies {@link SysctlProfile}s on one host through any {@link
 * CommandExecutor} (local, SSH, sudo, a network namespace, a Kubernetes node).
 *
 * <pre>{@code
 * SysctlApplier node = SysctlApplier.on(sshExecutor.withSudo());
 * SysctlPlan plan = node.plan(SysctlProfile.kubernetesNode());
 * System.out.print(plan.render());
 * SysctlApplyResult result = node.apply(SysctlProfile.kubernetesNode());
 * }</pre>
 *
 * <p>Commands: {@link #observe} runs one {@code sh -c} that reads the drop-in and every key's
 * {@code /proc/sys} entry (keys are passed as arguments, never spliced into the script). {@link
 * #apply} observes, and only when the plan is not empty writes the drop-in atomically (temp file in
 * the same folder from standard input, mode 0644, renamed over the target), runs {@code sysctl -e
 * -p FILE} so just that file is loaded, and observes again to verify. {@code -e} is there because
 * procps {@code sysctl} fails on a missing key even on a {@code -key} line; required keys missing
 * on the kernel are refused before anything is written, and verification catches any other key that
 * did not take. Applying twice writes nothing the second time. Needs root on the target for
 * writing. Immutable and thread-safe; it does not own or close the executor.
 */
public final class SysctlApplier {
  /** The folder drop-ins go to unless configured otherwise. */
  public static final String DEFAULT_DIRECTORY = "/etc/sysctl.d";

  private static final Duration TIMEOUT = Duration.ofSeconds(60);

  private final CommandExecutor executor;
  private final String directory;

  private SysctlApplier(CommandExecutor executor, String directory) {
    this.executor = Objects.requireNonNull(executor, "executor");
    this.directory = directory;
  }

  /** An applier running its commands through {@code executor}, writing to /etc/sysctl.d. */
  public static SysctlApplier on(CommandExecutor executor) {
    return new SysctlApplier(executor, DEFAULT_DIRECTORY);
  }

  /**
   * This applier writing drop-ins to {@code directory} instead (an absolute path on the target).
   *
   * @throws IllegalArgumentException when the path is relative or holds a line break or NUL
   */
  public SysctlApplier withDropInDirectory(String directory) {
    Objects.requireNonNull(directory, "directory");
    Values.absoluteDirectory("drop-in directory", directory);
    return new SysctlApplier(executor, directory);
  }

  /** The folder drop-ins are written to. */
  public String dropInDirectory() {
    return directory;
  }

  /** The path of {@code profile}'s drop-in on the target. */
  public String dropInPath(SysctlProfile profile) {
    return (directory.endsWith("/") ? directory : directory + "/") + profile.fileName();
  }

  /**
   * Reads the live value of every key of {@code profile}, and its drop-in, in one command.
   *
   * @throws dev.opskit.core.CommandFailedException when the read command fails
   */
  public SysctlObservation observe(SysctlProfile profile) throws IOException, InterruptedException {
    List<SysctlKey> keys = new ArrayList<>(profile.values().keySet());
    Command command = Scripts.observe(dropInPath(profile), keys).withTimeout(TIMEOUT);
    ExecResult result = executor.execute(command).requireSuccess();
    return Scripts.parseObservation(keys, result.stdout());
  }

  /** Observes the host and compares every key of {@code profile} with it. */
  public List<SysctlDrift> drift(SysctlProfile profile) throws IOException, InterruptedException {
    return SysctlDrift.compare(profile, observe(profile));
  }

  /** Observes the host and plans {@code profile} against it; writes nothing. */
  public SysctlPlan plan(SysctlProfile profile) throws IOException, InterruptedException {
    return SysctlPlan.of(profile, observe(profile), directory);
  }

  /** Observes again and plans: an empty plan means the profile is fully in force and persisted. */
  public SysctlPlan verify(SysctlProfile profile) throws IOException, InterruptedException {
    return plan(profile);
  }

  /**
   * Brings the host in line with {@code profile}: writes the drop-in if it is not current, loads it
   * with {@code sysctl -e -p FILE}, and verifies. Does nothing but observe when the plan is empty.
   *
   * @throws SysctlApplyException when required keys are unknown on this kernel (nothing is
   *     written), {@code sysctl -p} fails, or a value is still not as desired afterwards
   * @throws dev.opskit.core.CommandFailedException when reading or writing the drop-in fails (the
   *     previous drop-in, if any, is then left untouched)
   */
  public SysctlApplyResult apply(SysctlProfile profile) throws IOException, InterruptedException {
    SysctlObservation before = observe(profile);
    SysctlPlan plan = SysctlPlan.of(profile, before, directory);
    SysctlApplyResult.Builder result = SysctlApplyResult.builder().plan(plan);
    if (!plan.blocked().isEmpty()) {
      throw new SysctlApplyException(
          "sysctl profile "
              + profile.name()
              + ": keys unknown on this kernel: "
              + describeBlocked(profile, plan)
              + "; nothing was written",
          plan,
          null);
    }
    if (plan.isEmpty()) {
      return result.dropInWritten(false).reloaded(false).after(before).build();
    }
    boolean written = false;
    if (!plan.dropInCurrent()) {
      executor
          .execute(
              Scripts.writeAtomically(directory, profile.fileName(), plan.dropInContent())
                  .withTimeout(TIMEOUT))
          .requireSuccess();
      written = true;
    }
    ExecResult reload =
        executor.execute(Command.of("sysctl", "-e", "-p", plan.dropInPath()).withTimeout(TIMEOUT));
    if (!reload.isSuccess()) {
      throw new SysctlApplyException(
          "sysctl -e -p "
              + plan.dropInPath()
              + " failed"
              + reload.exitCode().stream()
                  .mapToObj(code -> " (exit " + code + ")")
                  .findFirst()
                  .orElse("")
              + ": "
              + reload.stderrUtf8().strip(),
          plan,
          reload);
    }
    SysctlObservation after = observe(profile);
    SysctlPlan remaining = SysctlPlan.of(profile, after, directory);
    if (!remaining.isEmpty()) {
      throw new SysctlApplyException(
          "sysctl profile "
              + profile.name()
              + " is not in force after applying:\n"
              + remaining.render(),
          remaining,
          reload);
    }
    return result.dropInWritten(written).reloaded(true).after(after).build();
  }

  /**
   * Reads every sysctl configuration file of the host (the {@linkplain SysctlEffective#DIRECTORIES
   * sysctl.d folders} and {@code /etc/sysctl.conf}) in one command and works out which file sets
   * each key at boot. Lines the loaders would skip are skipped here too and listed in each file's
   * {@link SysctlFile#problems()}.
   */
  public SysctlEffective effectiveConfiguration() throws IOException, InterruptedException {
    ExecResult result =
        executor
            .execute(Scripts.readConfiguration(SysctlEffective.DIRECTORIES).withTimeout(TIMEOUT))
            .requireSuccess();
    Map<String, String> texts = Scripts.parseConfiguration(result.stdout());
    List<SysctlFile> files = new ArrayList<>();
    texts.forEach((path, text) -> files.add(SysctlFile.parseTolerant(path, text)));
    return SysctlEffective.of(files);
  }

  private static String describeBlocked(SysctlProfile profile, SysctlPlan plan) {
    return plan.blocked().stream()
        .map(
            change -> {
              String note = profile.notes().get(change.key());
              return change.key() + (note == null ? "" : " (" + note + ")");
            })
        .collect(Collectors.joining(", "));
  }

  @Override
  public String toString() {
    return "SysctlApplier{" + executor + ", " + directory + "}";
  }
}
