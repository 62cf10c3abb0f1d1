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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
 * <p>Commands: {@link #observe} runs one {@code sh -c} that reads the drop-in, every key's {@code
 * /proc/sys} entry (keys are passed as arguments, never spliced into the script) and the network
 * namespaces of the shell and of PID 1. {@link #apply} is transactional: it observes and plans, and
 * refuses before writing anything when a key is unknown on the kernel, a value does not have the
 * shape of the live value, or (inside a network namespace other than the host's, unless {@link
 * #withHostWide(boolean)}) a key outside {@code net.*} would change the whole host. Otherwise it
 * writes the new drop-in aside (a dot file in the same folder, which no loader reads), loads just
 * that file with {@code sysctl -e -p}, observes again to verify, and only then renames it over the
 * previous drop-in. On any failure along the way it removes the staged file and writes the previous
 * live values back, so a bad value never reaches the drop-in read at boot. {@code -e} is there
 * because procps {@code sysctl} fails on a missing key even on a {@code -key} line. Applying twice
 * writes nothing the second time. Needs root on the target for writing. Immutable and thread-safe;
 * it does not own or close the executor.
 */
public final class SysctlApplier
    implements Applier<SysctlProfile, SysctlObservation, SysctlPlan, SysctlApplyResult> {
  private static final Logger LOG = LoggerFactory.getLogger(SysctlApplier.class);

  /** The folder drop-ins go to unless configured otherwise. */
  public static final String DEFAULT_DIRECTORY = "/etc/sysctl.d";

  private static final Duration TIMEOUT = Duration.ofSeconds(60);

  private final CommandExecutor executor;
  private final String directory;
  private final boolean hostWide;

  private SysctlApplier(CommandExecutor executor, String directory, boolean hostWide) {
    this.executor = Objects.requireNonNull(executor, "executor");
    this.directory = directory;
    this.hostWide = hostWide;
  }

  /** An applier running its commands through {@code executor}, writing to /etc/sysctl.d. */
  public static SysctlApplier on(CommandExecutor executor) {
    return new SysctlApplier(executor, DEFAULT_DIRECTORY, false);
  }

  /**
   * This applier writing drop-ins to {@code directory} instead (an absolute path on the target).
   *
   * @throws IllegalArgumentException when the path is relative or holds a line break or NUL
   */
  public SysctlApplier withDropInDirectory(String directory) {
    Objects.requireNonNull(directory, "directory");
    Values.absoluteDirectory("drop-in directory", directory);
    return new SysctlApplier(executor, directory, hostWide);
  }

  /**
   * This applier allowing (or, by default, refusing) keys that change the whole host when the
   * commands run inside a network namespace other than the host's: there only {@code net.*} keys
   * are the namespace's own, while {@code vm.*}, {@code kernel.*} or {@code fs.*} reach every
   * process of the machine.
   */
  public SysctlApplier withHostWide(boolean allow) {
    return new SysctlApplier(executor, directory, allow);
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
   * Reads the live value of every key of {@code profile}, its drop-in and the network namespaces,
   * in one command.
   *
   * @throws dev.opskit.core.CommandFailedException when the read command fails
   */
  @Override
  public SysctlObservation observe(SysctlProfile profile) throws IOException, InterruptedException {
    List<SysctlKey> keys = new ArrayList<>(profile.values().keySet());
    Command command = Scripts.observe(dropInPath(profile), keys).withTimeout(TIMEOUT);
    ExecResult result = executor.execute(command).requireSuccess();
    return Scripts.parseObservation(keys, result.stdout());
  }

  /**
   * Observes the host and compares every key of {@code profile} with it (a raise-only key whose
   * live value is higher is {@link SysctlDrift.Status#KEPT_HIGHER}, as the plan keeps it).
   */
  public List<SysctlDrift> drift(SysctlProfile profile) throws IOException, InterruptedException {
    return SysctlDrift.compare(profile, observe(profile));
  }

  /** Observes the host and plans {@code profile} against it; writes nothing. */
  @Override
  public SysctlPlan plan(SysctlProfile profile) throws IOException, InterruptedException {
    return SysctlPlan.of(profile, observe(profile), directory, hostWide);
  }

  /** Observes again and plans: an empty plan means the profile is fully in force and persisted. */
  @Override
  public SysctlPlan verify(SysctlProfile profile) throws IOException, InterruptedException {
    return plan(profile);
  }

  /**
   * Brings the host in line with {@code profile}, transactionally: stages the new drop-in beside
   * the old one, loads it with {@code sysctl -e -p}, verifies, and only then renames it into place;
   * on failure the staged file is removed and the previous live values are written back. The
   * rollback writes a key back only while it still holds the value this apply left: a key that
   * another apply (or an administrator) changed since keeps that value, and the message names it.
   * Does nothing but observe when the plan is empty.
   *
   * @throws SysctlApplyException when the plan is blocked (nothing is written), {@code sysctl -p}
   *     fails, a value is still not as desired afterwards, or the drop-in cannot be written (in the
   *     last three cases after rolling back; the message says whether the rollback worked)
   */
  @Override
  public SysctlApplyResult apply(SysctlProfile profile) throws IOException, InterruptedException {
    SysctlObservation before = observe(profile);
    SysctlPlan plan = SysctlPlan.of(profile, before, directory, hostWide);
    SysctlApplyResult.Builder result = SysctlApplyResult.builder().plan(plan).before(before);
    if (!plan.blocked().isEmpty()) {
      throw new SysctlApplyException(
          "sysctl profile "
              + profile.name()
              + " refused, nothing was written: "
              + describeBlocked(profile, plan),
          plan,
          null);
    }
    if (plan.isEmpty()) {
      return result.dropInWritten(false).reloaded(false).after(before).build();
    }
    Map<SysctlKey, String> previous = previousValues(plan);
    String staged = "";
    if (!plan.dropInCurrent()) {
      String stagedName = "." + profile.fileName() + ".new";
      ExecResult write =
          Steps.run(
              executor,
              Scripts.writeAtomically(directory, stagedName, plan.dropInContent())
                  .withTimeout(TIMEOUT),
              Steps.write(Values.join(directory, stagedName)));
      if (!write.isSuccess()) {
        throw new SysctlApplyException(
            "cannot write the drop-in for sysctl profile "
                + profile.name()
                + ": "
                + oneLine(write)
                + "; nothing was changed",
            plan,
            write);
      }
      staged = Values.join(directory, stagedName);
    }
    String loaded = staged.isEmpty() ? plan.dropInPath() : staged;
    ExecResult reload =
        Steps.run(executor, Command.of("sysctl", "-e", "-p", loaded).withTimeout(TIMEOUT));
    if (!reload.isSuccess()) {
      throw undoFailed(
          plan,
          staged,
          previous,
          leftBy(plan, observeAfterFailure(profile)),
          "sysctl -e -p " + loaded + " failed" + exit(reload) + ": " + oneLine(reload),
          reload);
    }
    SysctlObservation after = observe(profile);
    SysctlPlan remaining = SysctlPlan.of(profile, after, directory, hostWide);
    if (!remaining.changes().isEmpty() || !remaining.blocked().isEmpty()) {
      throw undoFailed(
          remaining,
          staged,
          previous,
          leftBy(plan, Optional.of(after)),
          "sysctl profile "
              + profile.name()
              + " did not take: "
              + remaining.decisions().stream()
                  .map(SysctlChange::render)
                  .collect(Collectors.joining("; ")),
          reload);
    }
    if (!staged.isEmpty()) {
      ExecResult commit =
          Steps.run(
              executor,
              Scripts.commit(staged, plan.dropInPath()).withTimeout(TIMEOUT),
              List.of("mv", staged, plan.dropInPath()));
      if (!commit.isSuccess()) {
        throw undoFailed(
            plan, staged, previous, leftBy(plan, Optional.of(after)), oneLine(commit), commit);
      }
      after = SysctlObservation.builder().from(after).dropIn(plan.dropInContent()).build();
    }
    return result.dropInWritten(!staged.isEmpty()).reloaded(true).after(after).build();
  }

  /**
   * Puts back what {@code applied} changed: the drop-in as it was before (or no drop-in where there
   * was none), then the previous live value of every key it set. The drop-in and each key are put
   * back only while they hold what the apply left: what another apply (or an administrator) changed
   * since is kept, with a warning in the log. Does nothing for a result that changed nothing.
   *
   * @throws IllegalArgumentException when the result holds no observation from before the apply
   * @throws dev.opskit.core.CommandFailedException when the drop-in or a value cannot be restored
   */
  @Override
  public void rollBack(SysctlApplyResult applied) throws IOException, InterruptedException {
    if (!applied.changed()) {
      return;
    }
    SysctlObservation before =
        applied
            .before()
            .orElseThrow(
                () ->
                    new IllegalArgumentException(
                        "the result holds no observation from before its apply to restore"));
    SysctlPlan plan = applied.plan();
    if (applied.dropInWritten() && !holdsWhatTheApplyWrote(plan)) {
      LOG.warn(
          "rollback of sysctl profile {} keeps {}: it changed since the apply wrote it",
          plan.profileName(),
          plan.dropInPath());
    } else if (applied.dropInWritten()) {
      Command restore =
          before.dropIn().isPresent()
              ? Scripts.writeFile(plan.dropInPath(), before.dropIn().get(), false)
              : Scripts.remove(plan.dropInPath());
      Steps.run(
              executor,
              restore.withTimeout(TIMEOUT),
              before.dropIn().isPresent() ? Steps.write(plan.dropInPath()) : restore.argv())
          .requireSuccess();
    }
    Map<SysctlKey, String> previous = previousValues(plan);
    if (!previous.isEmpty()) {
      ExecResult undo =
          Steps.run(
                  executor,
                  Scripts.rollback("", leftBy(plan, Optional.of(applied.after())), previous)
                      .withTimeout(TIMEOUT),
                  Steps.restore("", previous.keySet()))
              .requireSuccess();
      List<String> kept = Scripts.keptByRollback(undo);
      if (!kept.isEmpty()) {
        LOG.warn(
            "rollback of sysctl profile {} keeps {}: changed since the apply set them",
            plan.profileName(),
            kept);
      }
    }
  }

  /** True when the plan's drop-in still holds what its apply wrote. */
  private boolean holdsWhatTheApplyWrote(SysctlPlan plan) throws IOException, InterruptedException {
    List<String> path = List.of(plan.dropInPath());
    ExecResult read =
        executor.execute(Scripts.readFiles(path).withTimeout(TIMEOUT)).requireSuccess();
    return plan.dropInContent()
        .equals(Scripts.parseFiles(path, read.stdout()).contents.get(path.get(0)));
  }

  /** Observes after a failed reload, to learn what it left; empty when that fails too. */
  private Optional<SysctlObservation> observeAfterFailure(SysctlProfile profile)
      throws InterruptedException {
    try {
      return Optional.of(observe(profile));
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }

  /**
   * The value each key of {@code plan} was left with by its apply: as {@code after} observed it, or
   * (unobserved) the value the plan wrote.
   */
  private static Map<SysctlKey, String> leftBy(SysctlPlan plan, Optional<SysctlObservation> after) {
    Map<SysctlKey, String> left = new LinkedHashMap<>();
    for (SysctlChange change : plan.changes()) {
      left.put(change.key(), after.flatMap(a -> a.value(change.key())).orElse(change.after()));
    }
    return left;
  }

  private static Map<SysctlKey, String> previousValues(SysctlPlan plan) {
    Map<SysctlKey, String> previous = new LinkedHashMap<>();
    for (SysctlChange change : plan.changes()) {
      change.before().ifPresent(value -> previous.put(change.key(), Values.normalize(value)));
    }
    return previous;
  }

  private SysctlApplyException undoFailed(
      SysctlPlan plan,
      String staged,
      Map<SysctlKey, String> previous,
      Map<SysctlKey, String> left,
      String problem,
      ExecResult failed)
      throws IOException, InterruptedException {
    String outcome;
    try {
      ExecResult undo =
          Steps.run(
              executor,
              Scripts.rollback(staged, left, previous).withTimeout(TIMEOUT),
              Steps.restore(staged, previous.keySet()));
      List<String> kept = Scripts.keptByRollback(undo);
      outcome =
          !undo.isSuccess()
              ? "rollback failed: " + oneLine(undo)
              : kept.isEmpty()
                  ? "rolled back: the previous drop-in and live values are in place"
                  : "rolled back, except "
                      + String.join(", ", kept)
                      + ": another apply changed "
                      + (kept.size() == 1 ? "it" : "them")
                      + " since, and "
                      + (kept.size() == 1 ? "it keeps" : "they keep")
                      + " that value";
    } catch (IOException e) {
      outcome = "rollback failed: " + e.getMessage();
    }
    return new SysctlApplyException(problem + "; " + outcome, plan, failed);
  }

  private static String exit(ExecResult result) {
    return result.exitCode().stream()
        .mapToObj(code -> " (exit " + code + ")")
        .findFirst()
        .orElse("");
  }

  private static String oneLine(ExecResult result) {
    String text = result.stderrUtf8().strip();
    if (text.isEmpty()) {
      text = result.stdoutUtf8().strip();
    }
    return text.isEmpty() ? "no message" + exit(result) : text.replace('\n', ';');
  }

  /**
   * Reads every sysctl configuration file of the host (the {@linkplain SysctlEffective#DIRECTORIES
   * sysctl.d folders} and {@code /etc/sysctl.conf}) in one command and works out which file sets
   * each key at boot. Lines the loaders would skip are skipped here too and listed in each file's
   * {@link SysctlFile#problems()}. The drop-in folder is read too when it is not a standard one.
   */
  public SysctlEffective effectiveConfiguration() throws IOException, InterruptedException {
    List<String> directories = new ArrayList<>(SysctlEffective.DIRECTORIES);
    String own =
        directory.length() > 1 && directory.endsWith("/")
            ? directory.substring(0, directory.length() - 1)
            : directory;
    if (!directories.contains(own)) {
      directories.add(own);
    }
    ExecResult result =
        executor
            .execute(Scripts.readConfiguration(directories).withTimeout(TIMEOUT))
            .requireSuccess();
    Map<String, String> texts = Scripts.parseConfiguration(result.stdout());
    List<SysctlFile> files = new ArrayList<>();
    texts.forEach((path, text) -> files.add(SysctlFile.parseTolerant(path, text)));
    return SysctlEffective.of(files);
  }

  private static String describeBlocked(SysctlProfile profile, SysctlPlan plan) {
    String text =
        plan.blocked().stream()
            .map(
                change -> {
                  if (change.action() != SysctlChange.Action.BLOCKED_UNKNOWN) {
                    return change.key() + " " + change.reason().orElse("refused");
                  }
                  String note = profile.notes().get(change.key());
                  return change.key()
                      + " is unknown on this kernel"
                      + (note == null ? "" : " (" + note + ")");
                })
            .collect(Collectors.joining("; "));
    if (plan.blocked().stream()
        .anyMatch(c -> c.action() == SysctlChange.Action.BLOCKED_HOST_WIDE)) {
      text += " (keys that change the whole host are refused unless explicitly allowed)";
    }
    return text;
  }

  @Override
  public String toString() {
    return "SysctlApplier{" + executor + ", " + directory + "}";
  }
}
