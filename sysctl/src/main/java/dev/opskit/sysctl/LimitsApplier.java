package dev.opskit.sysctl;

import dev.opskit.core.Applier;
import dev.opskit.core.Command;
import dev.opskit.core.CommandExecutor;
import dev.opskit.core.ExecResult;
import dev.opskit.sysctl.internal.Scripts;
import dev.opskit.sysctl.internal.Steps;
import dev.opskit.sysctl.internal.Values;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Observes, plans, applies and verifies {@link LimitsProfile}s on one host through any {@link
 * CommandExecutor} (local, SSH, sudo, a Kubernetes node): the limits.d file and the {@code
 * LimitNOFILE=} systemd drop-ins.
 *
 * <pre>{@code
 * LimitsApplier node = LimitsApplier.on(sshExecutor.withSudo()).withDaemonReload(true);
 * System.out.print(node.plan(LimitsProfile.kubernetesNode()).render());
 * LimitsApplyResult result = node.apply(LimitsProfile.kubernetesNode());
 * for (String unit : result.unitsToRestart()) {
 *   sshExecutor.withSudo().execute("systemctl", "restart", unit).requireSuccess();
 * }
 * }</pre>
 *
 * <p><b>PAM limits reach neither systemd services nor containers.</b> The limits.d file only
 * affects new PAM sessions (logins, {@code su}, {@code sudo}); services get their limit from {@code
 * LimitNOFILE=}, and containers inherit theirs from the container runtime. A drop-in takes effect
 * only after {@code systemctl daemon-reload} <em>and a restart of the service</em>: this class
 * never restarts anything (restarting containerd or the kubelet is the caller's decision); {@link
 * LimitsApplyResult#unitsToRestart()} names the units to restart.
 *
 * <p>Commands: {@link #observe} runs one {@code sh -c} that reads every file of the profile, {@code
 * fs.nr_open} and the shell's {@code ulimit -Sn}/{@code -Hn} (paths are passed as arguments, never
 * spliced into the script). {@link #apply} observes; refuses, writing nothing, when the plan is
 * blocked; writes each changed file atomically (temp file in the same folder from standard input,
 * mode 0644, renamed over the target; the folder is created when missing), one command per file, so
 * each file is either old or new but a failure midway can leave earlier files written; runs {@code
 * systemctl daemon-reload} when a drop-in changed and {@link #withDaemonReload(boolean)} is on (off
 * by default); and observes again to verify. Applying twice writes nothing the second time. Needs
 * root on the target for writing. Immutable and thread-safe; it does not own or close the executor.
 */
public final class LimitsApplier
    implements Applier<LimitsProfile, LimitsObservation, LimitsPlan, LimitsApplyResult> {
  private static final Logger LOG = LoggerFactory.getLogger(LimitsApplier.class);

  /** The folder the limits.d file goes to unless configured otherwise. */
  public static final String DEFAULT_LIMITS_DIRECTORY = "/etc/security/limits.d";

  /** The folder holding the {@code UNIT.d} drop-in folders unless configured otherwise. */
  public static final String DEFAULT_SYSTEMD_DIRECTORY = "/etc/systemd/system";

  private static final Duration TIMEOUT = Duration.ofSeconds(60);

  private final CommandExecutor executor;
  private final String limitsDirectory;
  private final String systemdDirectory;
  private final boolean daemonReload;

  private LimitsApplier(
      CommandExecutor executor,
      String limitsDirectory,
      String systemdDirectory,
      boolean daemonReload) {
    this.executor = Objects.requireNonNull(executor, "executor");
    this.limitsDirectory = limitsDirectory;
    this.systemdDirectory = systemdDirectory;
    this.daemonReload = daemonReload;
  }

  /**
   * An applier running its commands through {@code executor}, writing to /etc/security/limits.d and
   * /etc/systemd/system, without daemon-reload.
   */
  public static LimitsApplier on(CommandExecutor executor) {
    return new LimitsApplier(executor, DEFAULT_LIMITS_DIRECTORY, DEFAULT_SYSTEMD_DIRECTORY, false);
  }

  /**
   * This applier writing the limits.d file to {@code directory} instead (absolute, on the target).
   *
   * @throws IllegalArgumentException when the path is relative or holds a line break or NUL
   */
  public LimitsApplier withLimitsDirectory(String directory) {
    Objects.requireNonNull(directory, "directory");
    Values.absoluteDirectory("limits directory", directory);
    return new LimitsApplier(executor, directory, systemdDirectory, daemonReload);
  }

  /**
   * This applier writing systemd drop-ins to {@code directory/UNIT.d} instead (absolute, on the
   * target; {@code /run/systemd/system} for drop-ins that do not survive a reboot).
   *
   * @throws IllegalArgumentException when the path is relative or holds a line break or NUL
   */
  public LimitsApplier withSystemdDirectory(String directory) {
    Objects.requireNonNull(directory, "directory");
    Values.absoluteDirectory("systemd directory", directory);
    return new LimitsApplier(executor, limitsDirectory, directory, daemonReload);
  }

  /**
   * This applier running {@code systemctl daemon-reload} after writing a changed systemd drop-in
   * ({@code true}), or leaving that to the caller ({@code false}, the default). Services must still
   * be restarted to pick up {@code LimitNOFILE=}.
   */
  public LimitsApplier withDaemonReload(boolean daemonReload) {
    return new LimitsApplier(executor, limitsDirectory, systemdDirectory, daemonReload);
  }

  /** The folder the limits.d file is written to. */
  public String limitsDirectory() {
    return limitsDirectory;
  }

  /** The folder holding the {@code UNIT.d} drop-in folders. */
  public String systemdDirectory() {
    return systemdDirectory;
  }

  /** True when {@link #apply} runs {@code systemctl daemon-reload} after a drop-in changed. */
  public boolean daemonReload() {
    return daemonReload;
  }

  /** Every file of {@code profile} on the target under this applier's folders, path to text. */
  public java.util.Map<String, String> files(LimitsProfile profile) {
    return profile.files(limitsDirectory, systemdDirectory);
  }

  /**
   * Reads every file of {@code profile}, {@code fs.nr_open} and the shell's open-file limits, in
   * one command.
   *
   * @throws dev.opskit.core.CommandFailedException when the read command fails
   */
  @Override
  public LimitsObservation observe(LimitsProfile profile) throws IOException, InterruptedException {
    List<String> paths = new ArrayList<>(files(profile).keySet());
    ExecResult result =
        executor.execute(Scripts.readFiles(paths).withTimeout(TIMEOUT)).requireSuccess();
    Scripts.FileRead read = Scripts.parseFiles(paths, result.stdout());
    LimitsObservation.Builder observation = LimitsObservation.builder().files(read.contents);
    read.states.forEach(
        (path, state) -> {
          if (state == Scripts.FileState.NOT_A_FILE) {
            observation.addNotRegularFiles(path);
          }
        });
    if (read.nrOpen.matches("[0-9]{1,18}")) {
      observation.nrOpen(Long.parseLong(read.nrOpen));
    }
    if (!read.nofileSoft.isEmpty()) {
      observation.nofileSoft(read.nofileSoft);
    }
    if (!read.nofileHard.isEmpty()) {
      observation.nofileHard(read.nofileHard);
    }
    return observation.build();
  }

  /** Observes the host and plans {@code profile} against it; writes nothing. */
  @Override
  public LimitsPlan plan(LimitsProfile profile) throws IOException, InterruptedException {
    return LimitsPlan.of(profile, observe(profile), limitsDirectory, systemdDirectory);
  }

  /** Observes again and plans: an empty plan means every file of the profile is current. */
  @Override
  public LimitsPlan verify(LimitsProfile profile) throws IOException, InterruptedException {
    return plan(profile);
  }

  /**
   * Brings the host's files in line with {@code profile}: writes each changed file atomically, runs
   * {@code systemctl daemon-reload} if asked to and a drop-in changed, and verifies. Does nothing
   * but observe when the plan is empty. Restarts no service.
   *
   * @throws LimitsApplyException when the plan is blocked (nothing is written), daemon-reload
   *     fails, or the files are still not as desired afterwards
   * @throws dev.opskit.core.CommandFailedException when reading or writing a file fails (that file
   *     is then left as it was; files written before it stay written)
   */
  @Override
  public LimitsApplyResult apply(LimitsProfile profile) throws IOException, InterruptedException {
    LimitsObservation before = observe(profile);
    LimitsPlan plan = LimitsPlan.of(profile, before, limitsDirectory, systemdDirectory);
    LimitsApplyResult.Builder result = LimitsApplyResult.builder().plan(plan);
    if (!plan.blocked().isEmpty()) {
      throw new LimitsApplyException(
          "limits profile "
              + profile.name()
              + ": "
              + String.join("; ", plan.blocked())
              + "; nothing was written",
          plan,
          null);
    }
    if (plan.isEmpty()) {
      return result.daemonReloaded(false).after(before).build();
    }
    for (LimitsFileChange change : plan.changes()) {
      String path = change.path();
      Steps.run(
              executor,
              Scripts.writeFile(path, change.content(), true).withTimeout(TIMEOUT),
              Steps.write(path))
          .requireSuccess();
      result.addWritten(path);
    }
    boolean reloaded = false;
    if (daemonReload && !plan.unitsToRestart().isEmpty()) {
      ExecResult reload = Steps.run(executor, DAEMON_RELOAD);
      if (!reload.isSuccess()) {
        throw new LimitsApplyException(
            "systemctl daemon-reload failed"
                + reload.exitCode().stream()
                    .mapToObj(code -> " (exit " + code + ")")
                    .findFirst()
                    .orElse("")
                + ": "
                + reload.stderrUtf8().strip()
                + "; the files were written",
            plan,
            reload);
      }
      reloaded = true;
    }
    LimitsObservation after = observe(profile);
    LimitsPlan remaining = LimitsPlan.of(profile, after, limitsDirectory, systemdDirectory);
    if (!remaining.isEmpty()) {
      throw new LimitsApplyException(
          "limits profile "
              + profile.name()
              + " is not in place after applying:\n"
              + remaining.render(),
          remaining,
          null);
    }
    return result.daemonReloaded(reloaded).after(after).build();
  }

  /**
   * Puts back the files {@code applied} wrote as they were before: the previous content, or no file
   * where there was none; then runs {@code systemctl daemon-reload} again if the apply did. A file
   * that no longer holds what the apply wrote (another apply or an administrator changed it since)
   * keeps its content, with a warning in the log.
   *
   * @throws dev.opskit.core.CommandFailedException when a file cannot be restored or daemon-reload
   *     fails
   */
  @Override
  public void rollBack(LimitsApplyResult applied) throws IOException, InterruptedException {
    List<LimitsFileChange> written =
        applied.plan().changes().stream()
            .filter(change -> applied.written().contains(change.path()))
            .toList();
    List<String> paths = written.stream().map(LimitsFileChange::path).toList();
    Map<String, String> now =
        paths.isEmpty()
            ? Map.of()
            : Scripts.parseFiles(
                    paths,
                    executor
                        .execute(Scripts.readFiles(paths).withTimeout(TIMEOUT))
                        .requireSuccess()
                        .stdout())
                .contents;
    for (LimitsFileChange change : written) {
      if (!change.content().equals(now.get(change.path()))) {
        LOG.warn(
            "rollback of limits profile {} keeps {}: it changed since the apply wrote it",
            applied.plan().profileName(),
            change.path());
        continue;
      }
      Command restore =
          change.before().isPresent()
              ? Scripts.writeFile(change.path(), change.before().get(), false)
              : Scripts.remove(change.path());
      Steps.run(
              executor,
              restore.withTimeout(TIMEOUT),
              change.before().isPresent() ? Steps.write(change.path()) : restore.argv())
          .requireSuccess();
    }
    if (applied.daemonReloaded()) {
      Steps.run(executor, DAEMON_RELOAD).requireSuccess();
    }
  }

  private static final Command DAEMON_RELOAD =
      Command.of("systemctl", "daemon-reload").withTimeout(TIMEOUT);

  @Override
  public String toString() {
    return "LimitsApplier{"
        + executor
        + ", "
        + limitsDirectory
        + ", "
        + systemdDirectory
        + (daemonReload ? ", daemon-reload" : "")
        + "}";
  }
}
