package dev.opskit.iptables.internal;

import dev.opskit.core.CommandExecutor;
import dev.opskit.core.ExecResult;
import dev.opskit.core.OpskitException;
import dev.opskit.iptables.HostLockedException;
import dev.opskit.iptables.IpFamily;
import dev.opskit.iptables.IptablesBackend;
import dev.opskit.iptables.IptablesRuleSet;
import dev.opskit.iptables.Rule;
import dev.opskit.iptables.internal.BatchSignals.StaleException;
import dev.opskit.iptables.internal.BatchSignals.StepFailedException;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The host side of the applier: read and write batches ({@link ShellBatch}) run under the host lock
 * through the executor, the backend detected in the first read, and the network namespace key later
 * batches reuse. Thread-safe.
 */
public final class HostBatches {
  private static final List<String> VERSION = List.of("iptables", "--version");

  private final CommandExecutor executor;
  private final IptablesBackend fixedBackend;
  private final Duration commandTimeout;
  private final String stateDirectory;
  private final Duration lockWait;
  private volatile IptablesBackend detected;
  private volatile String namespaceKey;

  /** Batches through {@code executor}; a null {@code fixedBackend} is detected on first use. */
  public HostBatches(
      CommandExecutor executor,
      IptablesBackend fixedBackend,
      Duration commandTimeout,
      String stateDirectory,
      Duration lockWait) {
    this.executor = Objects.requireNonNull(executor, "executor");
    this.fixedBackend = fixedBackend;
    this.commandTimeout = commandTimeout;
    this.stateDirectory = stateDirectory;
    this.lockWait = lockWait;
  }

  /** The backend in use: the one fixed, or detected once and remembered. */
  public IptablesBackend backend() throws IOException, InterruptedException {
    if (fixedBackend != null) {
      return fixedBackend;
    }
    if (detected == null) {
      // detected by a read batch, which also learns the host files' names for later batches
      read(false, false, List.of(), List.of());
    }
    return detected;
  }

  /** The program of {@code family} with {@code suffix} ({@code -save}, {@code -restore}). */
  public String program(IpFamily family, String suffix) throws IOException, InterruptedException {
    backend();
    return programName(family, suffix);
  }

  private String programName(IpFamily family, String suffix) {
    return fixedBackend == null ? family.command() + suffix : fixedBackend.program(family, suffix);
  }

  /**
   * Runs the read-only steps in one call, under the host lock: {@code SSH_CONNECTION}, the ipset
   * list, {@code iptables-save} per family and {@code ipset save} per set. Detects the backend in
   * the same call when it is not known yet.
   */
  public HostRead read(
      boolean sshConnection,
      boolean listIpsets,
      Collection<IpFamily> families,
      Collection<String> ipsetNames)
      throws IOException, InterruptedException {
    ShellBatch batch = ShellBatch.create(stateDirectory, lockWait).namespaceKey(namespaceKey);
    if (sshConnection) {
      batch.read(ShellBatch.SSH_CONNECTION);
    }
    boolean detect = fixedBackend == null && detected == null;
    if (detect) {
      batch.read(VERSION);
    }
    addReads(batch, listIpsets, families, ipsetNames);
    ShellBatch.Outcome outcome = outcome(batch, run(batch));
    Map<List<String>, ExecResult> results = byArgv(outcome.steps());
    if (detect) {
      ExecResult version = results.get(VERSION).requireSuccess();
      detected = IptablesBackend.fromVersion(version.stdoutUtf8() + version.stderrUtf8());
    }
    return new HostRead(results, outcome.generation(), outcome.journal());
  }

  /**
   * {@code read} plus {@code ipset save} of each of {@code names}, read now; its generation stays
   * the first read's, so that a write in between makes the apply re-read.
   */
  public HostRead withIpsetsSaved(HostRead read, List<String> names)
      throws IOException, InterruptedException {
    return read.plus(read(false, false, List.of(), names));
  }

  /** The rules of {@code family} that {@code read} saved, parsed. */
  public IptablesRuleSet saved(HostRead read, IpFamily family, Map<String, Rule> known) {
    ExecResult saved =
        Objects.requireNonNull(read.result(List.of(programName(family, "-save"))), "save not read")
            .requireSuccess();
    return RuleSetParser.parse(family, saved.stdoutUtf8(), known);
  }

  /**
   * Adds {@code ipset list -n}, {@code iptables-save} per family and {@code ipset save} per set.
   */
  private void addReads(
      ShellBatch batch,
      boolean listIpsets,
      Collection<IpFamily> families,
      Collection<String> ipsetNames) {
    List<List<String>> saves = new ArrayList<>();
    new LinkedHashSet<>(families).forEach(f -> saves.add(List.of(programName(f, "-save"))));
    addSteps(batch, listIpsets, saves, ipsetNames);
  }

  /**
   * Adds the read-back of an apply: {@code ipset list -n} when {@code listIpsets}, for each of
   * {@code families} a listing of each of its {@code tables} ({@link #listing}) or, for a family
   * without tables there, its {@code iptables-save}, and {@code ipset save} per set.
   */
  public void addReadBack(
      ShellBatch batch,
      boolean listIpsets,
      Collection<IpFamily> families,
      Map<IpFamily, Set<String>> tables,
      Collection<String> ipsetNames) {
    List<List<String>> listings = new ArrayList<>();
    for (IpFamily family : new LinkedHashSet<>(families)) {
      Set<String> names = tables.get(family);
      if (names == null) {
        listings.add(List.of(programName(family, "-save")));
      } else {
        names.forEach(t -> listings.add(listing(family, t)));
      }
    }
    addSteps(batch, listIpsets, listings, ipsetNames);
  }

  /** Adds {@code ipset list -n} when asked, the iptables reads, then {@code ipset save} per set. */
  private static void addSteps(
      ShellBatch batch,
      boolean listIpsets,
      List<List<String>> iptablesReads,
      Collection<String> ipsetNames) {
    if (listIpsets) {
      batch.read(ShellBatch.LIST_IPSETS);
    }
    iptablesReads.forEach(batch::read);
    new LinkedHashSet<>(ipsetNames).forEach(name -> batch.read(List.of("ipset", "save", name)));
  }

  /**
   * {@code iptables -w -t TABLE -S}: the rules of one table in the lines {@code iptables-save}
   * prints. With the nft backend it fetches only that table from the kernel, where {@code
   * iptables-save} (even with {@code -t}) fetches every table, such as kube-proxy's large nat
   * table.
   */
  private List<String> listing(IpFamily family, String table) {
    return List.of(programName(family, ""), "-w", "-t", table, "-S");
  }

  /**
   * The rules of {@code family} in {@code tables} as {@link #addReadBack} listed them, parsed; or
   * empty with the reason in {@code failures} when a listing failed.
   */
  public Optional<IptablesRuleSet> listed(
      HostRead read,
      IpFamily family,
      Collection<String> tables,
      Map<String, Rule> known,
      List<String> failures) {
    StringBuilder save = new StringBuilder();
    for (String table : tables) {
      ExecResult listed =
          Objects.requireNonNull(read.result(listing(family, table)), "table not listed");
      if (!listed.isSuccess()) {
        failures.add(
            "cannot list "
                + family
                + " table "
                + table
                + ": "
                + listed.stderrUtf8().strip()
                + "\n");
        return Optional.empty();
      }
      appendAsSave(save, table, listed.stdoutUtf8());
    }
    return Optional.of(RuleSetParser.parse(family, save.toString(), known));
  }

  /** Appends {@code iptables -S} output of {@code table} as {@code iptables-save} prints it. */
  static void appendAsSave(StringBuilder save, String table, String listing) {
    save.append('*').append(table).append('\n');
    int rules = save.length();
    StringBuilder declared = new StringBuilder();
    int start = 0;
    while (start < listing.length()) {
      int end = listing.indexOf('\n', start);
      if (end < 0) {
        end = listing.length();
      }
      String line = listing.substring(start, end);
      start = end + 1;
      if (line.startsWith("-P ")) {
        String[] words = line.split(" ");
        declared.append(':').append(words[1]).append(' ').append(words[2]).append(" [0:0]\n");
      } else if (line.startsWith("-N ")) {
        declared.append(':').append(line, 3, line.length()).append(" - [0:0]\n");
      } else if (!line.isEmpty()) {
        save.append(line).append('\n');
      }
    }
    save.insert(rules, declared).append("COMMIT\n");
  }

  /** The {@code iptables-restore --noflush -w} write of {@code input} for {@code family}. */
  public Write restore(IpFamily family, String input) throws IOException, InterruptedException {
    return new Write(List.of(program(family, "-restore"), "--noflush", "-w"), input);
  }

  /**
   * Runs the writes in order in one call under the host lock, provided the host is still at {@code
   * generation}, stopping at the first that fails; {@code reads} adds steps after them, whose
   * results are in the returned read. Each write that ran is listed in {@code commands}. With a
   * {@code journal}, the host keeps it from before the first write until the last one succeeded.
   *
   * @throws StepFailedException when a write failed or the call did not run through
   * @throws StaleException when another write ran since {@code generation}; nothing ran
   */
  public HostRead write(
      List<Write> writes,
      Consumer<ShellBatch> reads,
      List<String> commands,
      long generation,
      String journal)
      throws IOException, InterruptedException {
    ShellBatch batch =
        ShellBatch.create(stateDirectory, lockWait)
            .namespaceKey(namespaceKey)
            .expectGeneration(generation);
    if (journal != null) {
      batch.journal(journal);
    }
    for (Write write : writes) {
      batch.write(write.argv(), write.input());
    }
    reads.accept(batch);
    ExecResult ran = run(batch);
    ShellBatch.Outcome outcome;
    try {
      outcome = outcome(batch, ran);
    } catch (StaleException | HostLockedException e) {
      throw e;
    } catch (OpskitException e) {
      // the call did not run through: unknown whether it got to bump the generation
      throw new StepFailedException("the batched commands " + batch.steps(), ran, -1);
    }
    List<ExecResult> results = outcome.steps();
    Map<List<String>, ExecResult> readBack = new HashMap<>();
    for (int i = 0; i < results.size(); i++) {
      ExecResult result = results.get(i);
      if (!batch.isWrite(i)) {
        readBack.put(result.command().argv(), result);
        continue;
      }
      commands.add(result.command().display());
      if (!result.isSuccess()) {
        throw new StepFailedException(result.command().display(), result, outcome.generation());
      }
    }
    return new HostRead(readBack, outcome.generation(), Optional.empty());
  }

  /**
   * The steps' results, or the exception that says why the batch ran none of them. The steps that
   * ran are reported to the executor's listeners.
   *
   * @throws StaleException when another write ran since the generation a write batch expected
   */
  private ShellBatch.Outcome outcome(ShellBatch batch, ExecResult ran) throws IOException {
    try {
      ShellBatch.Outcome outcome = batch.results(ran);
      namespaceKey = outcome.namespaceKey();
      executor.reportSteps(outcome.records());
      return outcome;
    } catch (ShellBatch.RefusedException e) {
      switch (e.refusal()) {
        case LOCKED:
          throw new HostLockedException(e.detail(), lockWait);
        case STALE:
          throw new StaleException();
        case NO_FLOCK:
          throw new OpskitException(
              "the host has no flock program (util-linux), which opskit needs to serialise"
                  + " applies");
        case INPUT:
          throw new IOException(
              "the host received only part of the batch's input; it changed nothing");
        default:
          throw new OpskitException(
              "cannot use state directory "
                  + stateDirectory
                  + " on the host for the apply lock and journal (set it with"
                  + " IptablesApplier.Builder.stateDirectory)");
      }
    }
  }

  private static Map<List<String>, ExecResult> byArgv(List<ExecResult> results) {
    Map<List<String>, ExecResult> byArgv = new HashMap<>();
    results.forEach(r -> byArgv.put(r.command().argv(), r));
    return byArgv;
  }

  private ExecResult run(ShellBatch batch) throws IOException, InterruptedException {
    return executor.execute(batch.command().withTimeout(commandTimeout));
  }
}
