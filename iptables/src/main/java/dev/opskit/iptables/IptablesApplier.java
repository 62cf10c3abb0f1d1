package dev.opskit.iptables;

import dev.opskit.core.Command;
import dev.opskit.core.CommandExecutor;
import dev.opskit.core.ExecResult;
import dev.opskit.core.OpskitException;
import dev.opskit.iptables.internal.Cidrs;
import dev.opskit.iptables.internal.DatapathProbe;
import dev.opskit.iptables.internal.Journal;
import dev.opskit.iptables.internal.RuleSetParser;
import dev.opskit.iptables.internal.ShellBatch;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies owned rule sets and NodePort allowlists to a host through a {@link CommandExecutor}:
 * observe ({@code iptables-save}), plan, apply (one {@code iptables-restore --noflush -w} per
 * changed table, naming only opskit-owned chains), verify (observe again; the plan must now be
 * empty and each ipset hold exactly its entries). A second apply of the same set runs no
 * state-changing command and says so.
 *
 * <p>An apply costs two executor calls, each one {@code sh -c} with every variable part passed as a
 * positional argument: one reads everything it needs before changing anything (the SSH connection
 * to protect, the backend, the ipsets, {@code iptables-save} per family), the other runs the {@code
 * ipset restore} and {@code iptables-restore} steps in order, stopping at the first that fails, and
 * reads the result back. The desired rules are built while the first call runs, which it does on a
 * short-lived thread of its own (an {@link dev.opskit.core.ExecutionListener} hears of it there).
 * The read-back can be turned off with {@link Builder#verifyAfterApply(boolean)}.
 *
 * <pre>{@code
 * IptablesApplier applier = IptablesApplier.on(executor);
 * IptablesApplyResult result = applier.applyWithCheck(allowlist,
 *     () -> canStillConnect(), Duration.ofSeconds(10));
 * System.out.println(result.summary());
 * applier.remove(allowlist); // deletes exactly what the allowlist owns
 * }</pre>
 *
 * <p>Applies to one host are serialised and crash-safe. Each call holds a host-side lock ({@code
 * flock} on a file in {@link Builder#stateDirectory}, {@code /run/opskit} by default, one per
 * network namespace) for its whole batch, waiting at most {@link Builder#lockWait}; the write call
 * runs only when no other apply wrote since the read its plan came from, and otherwise the apply
 * reads and plans again. A write of several steps (IPv4 and IPv6, or an ipset and its rules) leaves
 * a journal on the host while it runs; the next call of any kind finishes it (or rolls it back) and
 * says so in {@link IptablesApplyResult#recovery()}. The host needs {@code flock} (util-linux).
 *
 * <p>The backend (nf_tables or legacy) is detected from {@code iptables --version} and the matching
 * {@code -save}/{@code -restore} programs are used, never a mix; it can also be fixed in the
 * builder. Thread-safe for use by one caller at a time per host (iptables itself serialises writers
 * with {@code -w}). Does not close the executor.
 */
public final class IptablesApplier {
  private static final Logger LOG = LoggerFactory.getLogger(IptablesApplier.class);
  private static final List<String> VERSION = List.of("iptables", "--version");
  private static final int ATTEMPTS = 5;

  /** Where the host keeps the apply lock and journal unless the builder says otherwise. */
  public static final String DEFAULT_STATE_DIRECTORY = "/run/opskit";

  private final CommandExecutor executor;
  private final IptablesBackend fixedBackend;
  private final Duration commandTimeout;
  private final String protectedClient;
  private final int protectedPort;
  private final boolean verifyAfterApply;
  private final DatapathDetector datapathDetector;
  private final String stateDirectory;
  private final Duration lockWait;
  private volatile IptablesBackend detected;
  private volatile String namespaceKey;

  private IptablesApplier(Builder builder) {
    this.executor = builder.executor;
    this.fixedBackend = builder.backend;
    this.commandTimeout = builder.commandTimeout;
    this.protectedClient = builder.protectedClient;
    this.protectedPort = builder.protectedPort;
    this.verifyAfterApply = builder.verifyAfterApply;
    this.stateDirectory = builder.stateDirectory;
    this.lockWait = builder.lockWait;
    this.datapathDetector =
        builder.datapathDetector != null
            ? builder.datapathDetector
            : new DatapathProbe(builder.executor, stateDirectory, lockWait);
  }

  /** An applier with backend detection and a 60-second timeout per command. */
  public static IptablesApplier on(CommandExecutor executor) {
    return builder(executor).build();
  }

  /** A builder for an applier running commands through {@code executor}. */
  public static Builder builder(CommandExecutor executor) {
    return new Builder(executor);
  }

  /** The backend in use: the one fixed in the builder, or detected once and remembered. */
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

  private String program(IpFamily family, String suffix) throws IOException, InterruptedException {
    backend();
    return programName(family, suffix);
  }

  private String programName(IpFamily family, String suffix) {
    return fixedBackend == null ? family.command() + suffix : fixedBackend.program(family, suffix);
  }

  /** What one read batch returned: each step's result by argv, the generation, the journal. */
  private record HostRead(
      Map<List<String>, ExecResult> results, long generation, Optional<String> journal) {}

  /**
   * Runs the read-only steps in one call, under the host lock, and returns each step's result by
   * its argv. Detects the backend in the same call when it is not known yet.
   */
  private HostRead read(
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
    ShellBatch.Outcome outcome = outcome(batch, run(batch.command()));
    Map<List<String>, ExecResult> results = byArgv(outcome.steps());
    if (detect) {
      ExecResult version = results.get(VERSION).requireSuccess();
      detected = IptablesBackend.fromVersion(version.stdoutUtf8() + version.stderrUtf8());
    }
    return new HostRead(results, outcome.generation(), outcome.journal());
  }

  /** {@link #read}, first finishing (or undoing) an apply that a journal shows was interrupted. */
  private HostRead readRecovered(
      boolean sshConnection,
      boolean listIpsets,
      Collection<IpFamily> families,
      Collection<String> ipsetNames)
      throws IOException, InterruptedException {
    HostRead read = read(sshConnection, listIpsets, families, ipsetNames);
    if (read.journal().isPresent()) {
      LOG.warn("{}", recover(read.journal().get()));
      read = read(sshConnection, listIpsets, families, ipsetNames);
    }
    return read;
  }

  /**
   * The steps' results, or the exception that says why the batch ran none of them.
   *
   * @throws StaleException when another write ran since the generation a write batch expected
   */
  private ShellBatch.Outcome outcome(ShellBatch batch, ExecResult ran) throws IOException {
    try {
      ShellBatch.Outcome outcome = batch.results(ran);
      namespaceKey = outcome.namespaceKey();
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

  /**
   * Adds {@code ipset list -n}, {@code iptables-save} per family and {@code ipset save} per set.
   */
  private void addReads(
      ShellBatch batch,
      boolean listIpsets,
      Collection<IpFamily> families,
      Collection<String> ipsetNames) {
    if (listIpsets) {
      batch.read(ShellBatch.LIST_IPSETS);
    }
    for (IpFamily family : new LinkedHashSet<>(families)) {
      batch.read(List.of(programName(family, "-save")));
    }
    for (String name : new LinkedHashSet<>(ipsetNames)) {
      batch.read(List.of("ipset", "save", name));
    }
  }

  private static Map<List<String>, ExecResult> byArgv(List<ExecResult> results) {
    Map<List<String>, ExecResult> byArgv = new HashMap<>();
    results.forEach(r -> byArgv.put(r.command().argv(), r));
    return byArgv;
  }

  /**
   * {@code read} plus {@code ipset save} of each of {@code names}, read now; its generation stays
   * the first read's, so that a write in between makes the apply re-read.
   */
  private HostRead withIpsetsSaved(HostRead read, List<String> names)
      throws IOException, InterruptedException {
    Map<List<String>, ExecResult> all = new HashMap<>(read.results());
    all.putAll(read(false, false, List.of(), names).results());
    return new HostRead(all, read.generation(), read.journal());
  }

  private IptablesRuleSet saved(
      Map<List<String>, ExecResult> read, IpFamily family, Map<String, Rule> known) {
    ExecResult saved =
        Objects.requireNonNull(read.get(List.of(programName(family, "-save"))), "save not read")
            .requireSuccess();
    return RuleSetParser.parse(family, saved.stdoutUtf8(), known);
  }

  /**
   * Reads the live rules of one family with {@code iptables-save}, under the host lock. When a
   * journal shows that an earlier apply was interrupted, finishes (or undoes) it first.
   *
   * @throws dev.opskit.core.CommandFailedException when the save command fails
   * @throws HostLockedException when another apply held the host lock for longer than the wait
   */
  public IptablesRuleSet observe(IpFamily family) throws IOException, InterruptedException {
    HostRead read = readRecovered(false, false, List.of(family), List.of());
    return saved(read.results(), family, Map.of());
  }

  /** Observes the families and ipsets an apply would touch, for a later rollback. */
  public IptablesSnapshot snapshot(
      List<String> owners, Set<IpFamily> families, List<String> ipsetNames)
      throws IOException, InterruptedException {
    HostRead read = readRecovered(false, false, families, ipsetNames);
    return snapshot(owners, families, ipsetNames, Map.of(), read);
  }

  private IptablesSnapshot snapshot(
      List<String> owners,
      Set<IpFamily> families,
      List<String> ipsetNames,
      Map<IpFamily, Map<String, Rule>> known,
      HostRead read) {
    IptablesSnapshot.Builder snapshot =
        IptablesSnapshot.builder().addAllOwners(owners).generation(read.generation());
    for (IpFamily family : families) {
      snapshot.putRuleSets(
          family, saved(read.results(), family, known.getOrDefault(family, Map.of())));
    }
    for (String name : ipsetNames) {
      SavedIpset saved = savedIpset(read.results(), name);
      if (saved == null) {
        snapshot.addMissingIpsets(name);
      } else {
        snapshot.putIpsetEntries(name, saved.entries()).putIpsetFamilies(name, saved.family());
      }
    }
    return snapshot.build();
  }

  /** An ipset as {@code ipset save} printed it: its family and normalised entries. */
  private record SavedIpset(IpFamily family, List<String> entries) {
    boolean holds(IpsetSpec spec) {
      return family == spec.family() && Set.copyOf(entries).equals(Set.copyOf(spec.entries()));
    }
  }

  /** The set {@code ipset save NAME} printed in {@code read}, or null when it does not exist. */
  private static SavedIpset savedIpset(Map<List<String>, ExecResult> read, String name) {
    ExecResult saved =
        Objects.requireNonNull(read.get(List.of("ipset", "save", name)), "ipset not read");
    if (!saved.isSuccess()) {
      return null;
    }
    List<String> entries = new ArrayList<>();
    IpFamily family = IpFamily.IPV4;
    for (String line : saved.stdoutUtf8().split("\n")) {
      String[] parts = line.strip().split("\\s+");
      if (parts.length >= 3 && parts[0].equals("add")) {
        entries.add(Cidrs.normalize(parts[2]));
      } else if (parts.length >= 3 && parts[0].equals("create")) {
        family = Arrays.asList(parts).contains("inet6") ? IpFamily.IPV6 : IpFamily.IPV4;
      }
    }
    return new SavedIpset(family, entries);
  }

  /** One try of an apply from a state read under the host lock. */
  private interface Attempt {
    IptablesApplyResult apply(HostRead read) throws IOException, InterruptedException;
  }

  /** A fresh read for the next try. */
  private interface Reader {
    HostRead read() throws IOException, InterruptedException;
  }

  /**
   * Runs {@code attempt} on {@code first}, finishing an interrupted apply first when the read found
   * its journal, and again on a fresh read when another apply changed the host between the read and
   * the write (at most {@value #ATTEMPTS} tries).
   */
  private IptablesApplyResult serialised(HostRead first, Reader reader, Attempt attempt)
      throws IOException, InterruptedException {
    HostRead read = first;
    String recovery = null;
    for (int tries = 1; ; tries++) {
      if (read.journal().isPresent()) {
        if (tries > ATTEMPTS) {
          throw new IptablesApplyException(
              "an interrupted apply's journal stays on the host after " + ATTEMPTS + " recoveries",
              null,
              false);
        }
        recovery = recover(read.journal().get());
        LOG.warn("{}", recovery);
        read = reader.read();
        continue;
      }
      try {
        IptablesApplyResult result = attempt.apply(read);
        return recovery == null
            ? result
            : IptablesApplyResult.builder().from(result).recovery(recovery).build();
      } catch (StaleException e) {
        if (tries >= ATTEMPTS) {
          throw new IptablesApplyException(
              "other applies changed this host's rules between each of "
                  + ATTEMPTS
                  + " reads and the write that followed; nothing was changed",
              null,
              false);
        }
        LOG.info("another apply changed the host since it was read; reading it again");
        read = reader.read();
      }
    }
  }

  /**
   * Makes the host hold exactly these owned rule sets (IPv4 and IPv6 sets may be mixed).
   *
   * @throws IptablesApplyException when a restore fails or the result does not verify; the previous
   *     state has then been restored
   * @throws HostLockedException when another apply held the host lock for longer than the wait
   */
  public IptablesApplyResult apply(List<IptablesRuleSet> desired)
      throws IOException, InterruptedException {
    owners(desired);
    Set<IpFamily> families = families(desired);
    Reader reader = () -> read(false, false, families, List.of());
    FutureTask<HostRead> reading = startReading(reader);
    Map<IpFamily, Map<String, Rule>> known;
    try {
      known = knownLines(desired);
    } catch (RuntimeException | Error e) {
      reading.cancel(true);
      throw e;
    }
    return serialised(
        finish(reading),
        reader,
        read -> applyAll(new Change(desired, List.of(), List.of(), List.of()), read, known, null));
  }

  /** Same as {@link #apply(List)}. */
  public IptablesApplyResult apply(IptablesRuleSet... desired)
      throws IOException, InterruptedException {
    return apply(List.of(desired));
  }

  /**
   * Applies, then runs {@code check}; when it returns false, throws or runs past {@code timeout},
   * restores the snapshot and reports {@link IptablesApplyResult#rolledBack()}. The rollback is
   * skipped (and the result says so) when another apply changed the host in the meantime: its
   * snapshot would undo that apply too.
   */
  public IptablesApplyResult applyWithCheck(
      List<IptablesRuleSet> desired, ApplyCheck check, Duration timeout)
      throws IOException, InterruptedException {
    return checked(apply(desired), check, timeout);
  }

  /**
   * Applies a NodePort allowlist: its ipsets (if any, updated by atomic swap) and its rule set for
   * each family.
   *
   * @throws SelfLockoutException when the executor's own SSH connection would be dropped, or its
   *     port is one of the allowlist's ports, and the allowlist does not allow it
   * @throws HostLockedException when another apply held the host lock for longer than the wait
   */
  public IptablesApplyResult apply(NodePortAllowlist allowlist)
      throws IOException, InterruptedException {
    if (allowlist.mode() == NodePortAllowlist.Mode.AUTO) {
      return applyAuto(allowlist);
    }
    boolean readSshConnection =
        (!allowlist.allowSelfLockout() || !allowlist.allowConnectionPort())
            && protectedClient == null;
    List<String> ipsetNames =
        allowlist.useIpset()
            ? allowlist.families().stream().map(allowlist::ipsetName).toList()
            : List.of();
    Reader reader = () -> read(readSshConnection, true, allowlist.families(), ipsetNames);
    FutureTask<HostRead> reading = startReading(reader);
    List<IptablesRuleSet> sets = new ArrayList<>();
    List<IpsetSpec> ipsets;
    Map<IpFamily, Map<String, Rule>> known;
    try {
      // built while the host is read: for thousands of CIDRs this takes as long as the read
      for (IpFamily family : allowlist.families()) {
        sets.add(allowlist.ruleSet(family));
      }
      ipsets = allowlist.ipsets();
      ipsets.forEach(IpsetSpec::fillInput);
      known = knownLines(sets);
    } catch (RuntimeException | Error e) {
      reading.cancel(true);
      throw e;
    }
    HostRead first = finish(reading);
    refuseSelfLockout(allowlist, first.results().get(ShellBatch.SSH_CONNECTION));
    allowlist.warnings().forEach(w -> LOG.warn("allowlist {}: {}", allowlist.name(), w));
    return serialised(
        first,
        reader,
        read -> {
          List<String> stale = new ArrayList<>();
          if (!allowlist.useIpset()) {
            // sets left from an earlier ipset-backed apply: rarely there, so saved by a second read
            stale.addAll(existing(ipsetNames(allowlist.name()), read.results()));
            if (!stale.isEmpty()) {
              read = withIpsetsSaved(read, stale);
            }
          }
          return applyAll(new Change(sets, ipsets, stale, allowlist.warnings()), read, known, null);
        });
  }

  /** {@link #apply(NodePortAllowlist)} with a check and rollback, as in {@link #applyWithCheck}. */
  public IptablesApplyResult applyWithCheck(
      NodePortAllowlist allowlist, ApplyCheck check, Duration timeout)
      throws IOException, InterruptedException {
    return checked(apply(allowlist), check, timeout);
  }

  /**
   * Deletes every chain and jump {@code owner} owns, in both families, and the ipsets an allowlist
   * of that name keeps ({@code opskit-OWNER-v4}, {@code -v6}).
   */
  public IptablesApplyResult remove(String owner) throws IOException, InterruptedException {
    List<String> ipsetNames = ipsetNames(owner);
    Reader reader = () -> read(false, true, List.of(IpFamily.values()), ipsetNames);
    return serialised(
        reader.read(),
        reader,
        read ->
            applyAll(
                new Change(
                    emptySets(owner), List.of(), existing(ipsetNames, read.results()), List.of()),
                read,
                Map.of(),
                null));
  }

  /** Deletes the allowlist's chains, jumps and ipsets; the same as {@code remove(name)}. */
  public IptablesApplyResult remove(NodePortAllowlist allowlist)
      throws IOException, InterruptedException {
    return remove(allowlist.name());
  }

  /** Owned sets of both families without tables: applied, they remove what {@code owner} has. */
  private static List<IptablesRuleSet> emptySets(String owner) {
    return List.of(
        IptablesRuleSet.empty(IpFamily.IPV4, owner), IptablesRuleSet.empty(IpFamily.IPV6, owner));
  }

  /** The sets' owners, in order. */
  private static List<String> owners(List<IptablesRuleSet> sets) {
    List<String> owners = new ArrayList<>();
    for (IptablesRuleSet set : sets) {
      String owner =
          set.owner()
              .orElseThrow(() -> new IllegalArgumentException("rule set " + set + " has no owner"));
      if (!owners.contains(owner)) {
        owners.add(owner);
      }
    }
    return owners;
  }

  private static Set<IpFamily> families(List<IptablesRuleSet> sets) {
    Set<IpFamily> families = new LinkedHashSet<>();
    sets.forEach(s -> families.add(s.family()));
    return families;
  }

  /** The rule lines the sets will read back as, per family, to parse them without re-parsing. */
  private static Map<IpFamily, Map<String, Rule>> knownLines(List<IptablesRuleSet> sets) {
    Map<IpFamily, Map<String, Rule>> known = new EnumMap<>(IpFamily.class);
    for (IptablesRuleSet set : sets) {
      Map<String, Rule> lines = known.get(set.family());
      if (lines == null) {
        known.put(set.family(), set.knownLines());
      } else {
        Map<String, Rule> merged = new HashMap<>(lines);
        merged.putAll(set.knownLines());
        known.put(set.family(), merged);
      }
    }
    return known;
  }

  /**
   * Restores what the snapshot's owners had: their chains, jumps and ipsets, leaving every other
   * rule as it is now. Runs under the host lock; an interrupted apply that a journal shows is
   * superseded by this rollback.
   */
  public List<String> rollback(IptablesSnapshot snapshot) throws IOException, InterruptedException {
    return rollback(snapshot, -1);
  }

  /**
   * {@link #rollback(IptablesSnapshot)}, skipped (returning null) when {@code expectedGeneration}
   * is not negative and another apply changed the host since that generation.
   */
  private List<String> rollback(IptablesSnapshot snapshot, long expectedGeneration)
      throws IOException, InterruptedException {
    StringBuilder recreate = new StringBuilder();
    StringBuilder destroy = new StringBuilder();
    boolean touchesIpsets =
        !snapshot.ipsetEntries().isEmpty() || !snapshot.missingIpsets().isEmpty();
    HostRead hostRead = read(false, touchesIpsets, snapshot.ruleSets().keySet(), List.of());
    if (expectedGeneration >= 0 && hostRead.generation() != expectedGeneration) {
      return null;
    }
    Map<List<String>, ExecResult> read = hostRead.results();
    Set<String> live = liveIpsets(read);
    for (Map.Entry<String, List<String>> set : snapshot.ipsetEntries().entrySet()) {
      IpsetSpec spec =
          IpsetSpec.of(set.getKey(), snapshot.ipsetFamilies().get(set.getKey()), set.getValue());
      appendFill(recreate, spec, live, !live.contains(spec.name()));
    }
    for (String name : snapshot.missingIpsets()) {
      if (live.contains(name)) {
        destroy.append("destroy ").append(name).append('\n');
      }
    }
    List<Write> writes = new ArrayList<>();
    if (recreate.length() > 0) {
      writes.add(Write.ipsets(recreate.toString()));
    }
    for (Map.Entry<IpFamily, IptablesRuleSet> entry : snapshot.ruleSets().entrySet()) {
      IptablesRuleSet current = saved(read, entry.getKey(), Map.of());
      for (String owner : snapshot.owners()) {
        IptablesPlan plan = IptablesPlan.of(current, entry.getValue().ownedPart(owner));
        for (String input : plan.restoreInputs().values()) {
          writes.add(restore(entry.getKey(), input));
        }
      }
    }
    if (destroy.length() > 0) {
      writes.add(Write.ipsets(destroy.toString()));
    }
    List<String> commands = new ArrayList<>();
    if (writes.isEmpty() && hostRead.journal().isEmpty()) {
      return commands;
    }
    try {
      // an interrupted apply's journal is cleared by this write: the rollback supersedes it
      write(writes, batch -> {}, commands, hostRead.generation(), null);
    } catch (StaleException e) {
      if (expectedGeneration >= 0) {
        return null;
      }
      throw new IptablesApplyException(
          "another apply changed the host while the rollback was planned; nothing was rolled back",
          null,
          false);
    }
    return commands;
  }

  /** What an apply makes the host hold. */
  private record Change(
      List<IptablesRuleSet> desired,
      List<IpsetSpec> ipsets,
      List<String> ipsetsToDestroy,
      List<String> warnings) {
    Journal.State state() {
      return new Journal.State(desired, ipsets, ipsetsToDestroy);
    }
  }

  /**
   * Plans and applies {@code change} against the state {@code read} found, in one write batch that
   * runs only when no other write came since that read. A multi-step write leaves a journal on the
   * host until it is done; {@code journalBefore} is the state to record as the one before (null:
   * the owned state just read).
   *
   * @throws StaleException when another apply wrote in between; nothing was changed
   */
  private IptablesApplyResult applyAll(
      Change change,
      HostRead hostRead,
      Map<IpFamily, Map<String, Rule>> known,
      Journal.State journalBefore)
      throws IOException, InterruptedException {
    List<IptablesRuleSet> desired = change.desired();
    List<IpsetSpec> ipsets = change.ipsets();
    List<String> ipsetsToDestroy = change.ipsetsToDestroy();
    Map<List<String>, ExecResult> read = hostRead.results();
    List<String> owners = owners(desired);
    Set<IpFamily> families = families(desired);
    List<String> ipsetNames = new ArrayList<>();
    ipsets.forEach(s -> ipsetNames.add(s.name()));
    ipsetNames.addAll(ipsetsToDestroy);
    IptablesSnapshot snapshot = snapshot(owners, families, ipsetNames, known, hostRead);

    StringBuilder ipsetInput = new StringBuilder();
    Set<String> live = liveIpsets(read);
    for (IpsetSpec spec : ipsets) {
      List<String> entries = snapshot.ipsetEntries().get(spec.name());
      SavedIpset current =
          entries == null
              ? null
              : new SavedIpset(snapshot.ipsetFamilies().get(spec.name()), entries);
      if (current != null && current.holds(spec)) {
        continue;
      }
      appendFill(ipsetInput, spec, live, current == null);
    }
    StringBuilder destroyInput = new StringBuilder();
    for (String name : ipsetsToDestroy) {
      if (!snapshot.missingIpsets().contains(name)) {
        destroyInput.append("destroy ").append(name).append('\n');
      }
    }
    List<IptablesPlan> plans = new ArrayList<>();
    for (IptablesRuleSet set : desired) {
      plans.add(IptablesPlan.of(snapshot.ruleSet(set.family()).orElseThrow(), set));
    }
    IptablesApplyResult.Builder result =
        IptablesApplyResult.builder()
            .addAllPlans(plans)
            .snapshot(snapshot)
            .addAllWarnings(change.warnings());
    List<Write> writes = new ArrayList<>();
    if (ipsetInput.length() > 0) {
      writes.add(Write.ipsets(ipsetInput.toString()));
    }
    for (IptablesPlan plan : plans) {
      for (String input : plan.restoreInputs().values()) {
        writes.add(restore(plan.family(), input));
      }
    }
    if (destroyInput.length() > 0) {
      writes.add(Write.ipsets(destroyInput.toString()));
    }
    if (writes.isEmpty() && journalBefore == null) {
      // the state just read equals the desired one: verified by that observation
      return result.changed(false).verified(true).generation(hostRead.generation()).build();
    }
    String journal = null;
    if (writes.size() > 1) {
      Journal.State before = journalBefore != null ? journalBefore : ownedState(snapshot, change);
      journal = new Journal(Instant.now(), change.state(), before).render();
    }
    List<String> commands = new ArrayList<>();
    HostRead outcome;
    try {
      // the read-back rides in the call of the writes: one call for the whole apply
      outcome =
          write(
              writes,
              batch -> {
                if (verifyAfterApply) {
                  addReads(batch, !ipsetsToDestroy.isEmpty(), families, ipsetNames(ipsets));
                }
              },
              commands,
              hostRead.generation(),
              journal);
    } catch (StepFailedException e) {
      String restored =
          journalBefore != null
              ? "; not rolled back here"
              : rollbackAfterFailure(snapshot, e.generation);
      throw new IptablesApplyException(
          "apply failed at `" + e.step + "`: " + e.result.stderrUtf8().strip() + restored,
          e.result,
          restored.equals(RESTORED));
    }
    if (writes.isEmpty()) {
      // an interrupted apply's journal, cleared: the host already held its target
      return result.changed(false).verified(true).generation(outcome.generation()).build();
    }
    if (verifyAfterApply) {
      verify(change, snapshot, known, outcome.results(), outcome.generation());
    }
    return result
        .changed(true)
        .verified(verifyAfterApply)
        .addAllCommands(commands)
        .generation(outcome.generation())
        .build();
  }

  private static final String RESTORED = "; previous state restored";

  /** Rolls back after a failed write; says how it went, as the end of a message. */
  private String rollbackAfterFailure(IptablesSnapshot snapshot, long generation)
      throws InterruptedException {
    try {
      return rollback(snapshot, generation) == null
          ? "; not rolled back: another apply changed the host since"
          : RESTORED;
    } catch (IOException | RuntimeException e) {
      LOG.error("rollback failed", e);
      return "; rollback failed too";
    }
  }

  /** What {@code snapshot} shows the change's owners and ipsets had: the state to go back to. */
  private static Journal.State ownedState(IptablesSnapshot snapshot, Change change) {
    List<IptablesRuleSet> sets = new ArrayList<>();
    for (IptablesRuleSet set : change.desired()) {
      String owner = set.owner().orElseThrow();
      sets.add(snapshot.ruleSet(set.family()).orElseThrow().ownedPart(owner));
    }
    List<IpsetSpec> ipsets = new ArrayList<>();
    List<String> absent = new ArrayList<>(snapshot.missingIpsets());
    snapshot
        .ipsetEntries()
        .forEach(
            (name, entries) ->
                ipsets.add(IpsetSpec.of(name, snapshot.ipsetFamilies().get(name), entries)));
    return new Journal.State(sets, ipsets, absent);
  }

  /**
   * Finishes the apply a journal describes, from whatever point it stopped at; when that fails,
   * rolls it back to the state the journal recorded as before. Says which, in one sentence.
   */
  private String recover(String text) throws IOException, InterruptedException {
    Journal journal;
    try {
      journal = Journal.parse(text);
    } catch (IllegalArgumentException e) {
      // only a complete journal is ever moved into place; this one is not opskit's to act on
      HostRead read = read(false, false, List.of(), List.of());
      write(List.of(), batch -> {}, new ArrayList<>(), read.generation(), null);
      return "cleared an unreadable apply journal on the host (" + e.getMessage() + ")";
    }
    String what =
        "an interrupted apply of "
            + String.join(", ", journal.target().owners())
            + " (begun "
            + journal.begun()
            + ")";
    for (int tries = 1; ; tries++) {
      try {
        applyJournaled(journal.target(), journal.before());
        return "finished " + what;
      } catch (StaleException e) {
        if (tries >= ATTEMPTS) {
          throw new IptablesApplyException(
              "could not finish " + what + ": other applies kept changing the host", null, false);
        }
      } catch (IptablesApplyException | dev.opskit.core.CommandFailedException e) {
        try {
          applyJournaled(journal.before(), journal.before());
          return "rolled back " + what + ": finishing it failed (" + e.getMessage() + ")";
        } catch (StaleException
            | IptablesApplyException
            | dev.opskit.core.CommandFailedException again) {
          throw new IptablesApplyException(
              what
                  + " could neither be finished ("
                  + e.getMessage()
                  + ") nor rolled back ("
                  + again.getMessage()
                  + "); its journal stays on the host",
              null,
              false);
        }
      }
    }
  }

  /** Applies one state of a journal, keeping the journal's own before-state while it runs. */
  private void applyJournaled(Journal.State state, Journal.State before)
      throws IOException, InterruptedException {
    Set<IpFamily> families = families(state.ruleSets());
    families.addAll(families(before.ruleSets()));
    List<String> ipsetNames = new ArrayList<>(ipsetNames(state.ipsets()));
    ipsetNames.addAll(state.absent());
    HostRead read = read(false, true, families, ipsetNames);
    List<String> destroy = existing(state.absent(), read.results());
    applyAll(
        new Change(state.ruleSets(), state.ipsets(), destroy, List.of()), read, Map.of(), before);
  }

  private static List<String> ipsetNames(List<IpsetSpec> ipsets) {
    return ipsets.stream().map(IpsetSpec::name).toList();
  }

  /** Checks the state read back after the writes; rolls back and throws when it differs. */
  private void verify(
      Change change,
      IptablesSnapshot snapshot,
      Map<IpFamily, Map<String, Rule>> known,
      Map<List<String>, ExecResult> read,
      long generation)
      throws InterruptedException {
    List<String> differences = new ArrayList<>();
    Map<IpFamily, IptablesRuleSet> now = new EnumMap<>(IpFamily.class);
    for (IptablesRuleSet set : change.desired()) {
      IptablesRuleSet observed =
          now.computeIfAbsent(
              set.family(), family -> saved(read, family, known.getOrDefault(family, Map.of())));
      IptablesPlan left = IptablesPlan.of(observed, set);
      if (!left.isEmpty()) {
        differences.add(left.render());
      }
    }
    for (IpsetSpec spec : change.ipsets()) {
      SavedIpset saved = savedIpset(read, spec.name());
      if (saved == null || !saved.holds(spec)) {
        differences.add(ipsetDifference(spec, saved));
      }
    }
    Set<String> live = liveIpsets(read);
    for (String name : change.ipsetsToDestroy()) {
      if (live.contains(name)) {
        differences.add("ipset " + name + " still exists\n");
      }
    }
    if (!differences.isEmpty()) {
      String restored = rollbackAfterFailure(snapshot, generation);
      throw new IptablesApplyException(
          "state read back after apply differs from the desired one"
              + restored
              + ":\n"
              + String.join("", differences),
          null,
          restored.equals(RESTORED));
    }
  }

  private static String ipsetDifference(IpsetSpec spec, SavedIpset saved) {
    if (saved == null) {
      return "ipset " + spec.name() + " is missing\n";
    }
    if (saved.family() != spec.family()) {
      return "ipset " + spec.name() + " is " + saved.family() + ", not " + spec.family() + "\n";
    }
    Set<String> missing = new LinkedHashSet<>(spec.entries());
    saved.entries().forEach(missing::remove);
    Set<String> extra = new LinkedHashSet<>(saved.entries());
    spec.entries().forEach(extra::remove);
    return "ipset "
        + spec.name()
        + " lacks "
        + missing.size()
        + " entries "
        + missing.stream().limit(3).toList()
        + " and holds "
        + extra.size()
        + " others "
        + extra.stream().limit(3).toList()
        + "\n";
  }

  private IptablesApplyResult checked(
      IptablesApplyResult applied, ApplyCheck check, Duration timeout)
      throws IOException, InterruptedException {
    Objects.requireNonNull(check, "check");
    String failure = runCheck(check, timeout);
    if (failure == null) {
      return applied;
    }
    LOG.warn("check failed ({}), rolling back", failure);
    List<String> commands = new ArrayList<>(applied.commands());
    List<String> rolledBack = rollback(applied.snapshot(), applied.generation().orElse(-1));
    IptablesApplyResult.Builder result =
        IptablesApplyResult.builder().from(applied).checkFailure(failure);
    if (rolledBack == null) {
      return result
          .addWarnings(
              "not rolled back: another apply changed the host after this one, and restoring"
                  + " this apply's snapshot would undo it")
          .build();
    }
    commands.addAll(rolledBack);
    return result.commands(commands).rolledBack(true).build();
  }

  private static String runCheck(ApplyCheck check, Duration timeout) throws InterruptedException {
    ExecutorService thread =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "opskit-apply-check");
              t.setDaemon(true);
              return t;
            });
    try {
      Future<Boolean> future = thread.submit(check::passes);
      try {
        return Boolean.TRUE.equals(future.get(timeout.toNanos(), TimeUnit.NANOSECONDS))
            ? null
            : "check returned false";
      } catch (TimeoutException e) {
        future.cancel(true);
        return "check timed out after " + timeout;
      } catch (ExecutionException e) {
        return "check threw " + e.getCause();
      }
    } finally {
      thread.shutdownNow();
    }
  }

  /** Refuses the allowlist when it blocks the protected connection or {@code env}'s one. */
  private void refuseSelfLockout(NodePortAllowlist allowlist, ExecResult env) {
    if (allowlist.allowSelfLockout() && allowlist.allowConnectionPort()) {
      return;
    }
    String client = protectedClient;
    int port = protectedPort;
    if (client == null) {
      if (env == null) {
        return;
      }
      String[] parts = env.stdoutUtf8().strip().split("\\s+");
      if (!env.isSuccess() || parts.length != 4) {
        return;
      }
      client = parts[0];
      try {
        port = Integer.parseInt(parts[3]);
      } catch (NumberFormatException e) {
        return;
      }
    }
    if (!allowlist.allowSelfLockout() && allowlist.blocks(client, "tcp", port)) {
      throw new SelfLockoutException(client, port, allowlist.name());
    }
    int serverPort = port;
    if (!allowlist.allowConnectionPort()
        && allowlist.protocols().contains("tcp")
        && allowlist.ports().stream().anyMatch(p -> p.contains(serverPort))) {
      throw SelfLockoutException.connectionPort(client, port, allowlist.name());
    }
  }

  /** The names the ipsets of allowlist {@code name} have or would have, in both families. */
  private static List<String> ipsetNames(String name) {
    List<String> names = new ArrayList<>();
    for (IpFamily family : IpFamily.values()) {
      names.add(NodePortAllowlist.ipsetName(name, family));
    }
    return names;
  }

  /** Those of {@code names} that exist on the host, as listed by {@code read}. */
  private static List<String> existing(List<String> names, Map<List<String>, ExecResult> read) {
    Set<String> live = liveIpsets(read);
    return names.stream().filter(live::contains).toList();
  }

  /**
   * The host's ipsets, when {@code read} listed them. A host without the ipset program has none:
   * the missing program shows as a non-zero exit of its step.
   */
  private static Set<String> liveIpsets(Map<List<String>, ExecResult> read) {
    ExecResult list = read.get(ShellBatch.LIST_IPSETS);
    if (list == null || !list.isSuccess()) {
      return Set.of();
    }
    return new LinkedHashSet<>(list.stdoutUtf8().lines().map(String::strip).toList());
  }

  /**
   * Appends the {@code ipset restore} input that fills {@code spec}, destroying first a temporary
   * set an interrupted update left among the {@code live} sets.
   */
  private static void appendFill(
      StringBuilder input, IpsetSpec spec, Set<String> live, boolean createLive) {
    if (live.contains(spec.temporaryName())) {
      input.append("destroy ").append(spec.temporaryName()).append('\n');
    }
    input.append(spec.restoreInput(createLive));
  }

  /** One state-changing command and its input. */
  private record Write(List<String> argv, String input) {
    static Write ipsets(String input) {
      return new Write(List.of("ipset", "restore"), input);
    }
  }

  private Write restore(IpFamily family, String input) throws IOException, InterruptedException {
    return new Write(List.of(program(family, "-restore"), "--noflush", "-w"), input);
  }

  /**
   * Runs the writes in order in one call under the host lock, provided the host is still at {@code
   * generation}, stopping at the first that fails; {@code reads} adds steps after them, whose
   * results are in the outcome. Each write that ran is listed in {@code commands}. With a {@code
   * journal}, the host keeps it from before the first write until the last one succeeded.
   *
   * @throws StepFailedException when a write failed or the call did not run through
   * @throws StaleException when another write ran since {@code generation}; nothing ran
   */
  private HostRead write(
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
    ExecResult ran = run(batch.command());
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

  private ExecResult run(Command command) throws IOException, InterruptedException {
    return executor.execute(command.withTimeout(commandTimeout));
  }

  /**
   * Starts {@code read} on a thread of its own, so that the caller can build what it needs from the
   * desired state meanwhile; {@link #finish} waits for it.
   */
  private static FutureTask<HostRead> startReading(Reader read) {
    FutureTask<HostRead> task = new FutureTask<>(read::read);
    Thread thread = new Thread(task, "opskit-iptables-read");
    thread.setDaemon(true);
    thread.start();
    return task;
  }

  private static HostRead finish(FutureTask<HostRead> reading)
      throws IOException, InterruptedException {
    try {
      return reading.get();
    } catch (InterruptedException e) {
      reading.cancel(true);
      throw e;
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof IOException io) {
        throw io;
      }
      if (cause instanceof InterruptedException interrupted) {
        throw interrupted;
      }
      if (cause instanceof RuntimeException unchecked) {
        throw unchecked;
      }
      if (cause instanceof Error error) {
        throw error;
      }
      throw new IllegalStateException(cause);
    }
  }

  /**
   * Detects the host's NodePort datapath and chooses the allowlist's mode there (see {@link
   * NodePortAllowlist#chooseMode(Datapath)}); one executor call. {@link #apply(NodePortAllowlist)}
   * does this itself for {@link NodePortAllowlist.Mode#AUTO}; call it to see the choice first, or
   * to check an explicit mode against the host.
   *
   * @throws UnsupportedDatapathException when the datapath bypasses netfilter and the allowlist
   *     does not allow that
   */
  public ModeChoice chooseMode(NodePortAllowlist allowlist)
      throws IOException, InterruptedException {
    return allowlist.chooseMode(datapathDetector.detect());
  }

  /** Applies an {@code AUTO} allowlist in the mode chosen for the host, and says which and why. */
  private IptablesApplyResult applyAuto(NodePortAllowlist allowlist)
      throws IOException, InterruptedException {
    ModeChoice choice = chooseMode(allowlist);
    LOG.info("allowlist {}: {}", allowlist.name(), choice.summary());
    IptablesApplyResult result = apply(allowlist.inMode(choice.mode()));
    IptablesApplyResult.Builder withChoice =
        IptablesApplyResult.builder().from(result).modeChoice(choice);
    if (!choice.holds()) {
      withChoice.addWarnings(choice.reason());
    }
    return withChoice.build();
  }

  /** Internal signal that one state-changing step failed. */
  private static final class StepFailedException extends IOException {
    private static final long serialVersionUID = 1L;
    private final String step;
    private final transient ExecResult result;
    private final long generation;

    StepFailedException(String step, ExecResult result, long generation) {
      super(step + ": " + result);
      this.step = step;
      this.result = result;
      this.generation = generation;
    }
  }

  /** Internal signal that another apply wrote since the state was read; nothing was written. */
  private static final class StaleException extends IOException {
    private static final long serialVersionUID = 1L;

    StaleException() {
      super("another apply changed the host since it was read");
    }
  }

  /** Configures an {@link IptablesApplier}. */
  public static final class Builder {
    private final CommandExecutor executor;
    private IptablesBackend backend;
    private Duration commandTimeout = Duration.ofSeconds(60);
    private String protectedClient;
    private int protectedPort;
    private boolean verifyAfterApply = true;
    private DatapathDetector datapathDetector;
    private String stateDirectory = DEFAULT_STATE_DIRECTORY;
    private Duration lockWait = Duration.ofSeconds(20);

    private Builder(CommandExecutor executor) {
      this.executor = Objects.requireNonNull(executor, "executor");
    }

    /** Uses this backend's programs ({@code iptables-nft-*} or {@code iptables-legacy-*}). */
    public Builder backend(IptablesBackend backend) {
      this.backend = Objects.requireNonNull(backend, "backend");
      return this;
    }

    /** The timeout of each command; 60 seconds by default. */
    public Builder commandTimeout(Duration timeout) {
      if (timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("command timeout must be positive, was " + timeout);
      }
      this.commandTimeout = timeout;
      return this;
    }

    /**
     * The directory on the host that holds the apply lock, the generation counter and the journal
     * of an apply in progress, one set of files per network namespace; {@value
     * #DEFAULT_STATE_DIRECTORY} by default (a tmpfs, emptied at boot, when the rules are gone too).
     * Every applier working on a host must use the same directory; tests use a temporary one.
     */
    public Builder stateDirectory(String directory) {
      this.stateDirectory = ShellBatch.checkDirectory(directory);
      return this;
    }

    /**
     * How long a call waits for the host lock that another apply holds before it fails with {@link
     * HostLockedException}; 20 seconds by default. Keep it below the command timeout.
     */
    public Builder lockWait(Duration wait) {
      if (wait.isNegative()) {
        throw new IllegalArgumentException("lock wait must not be negative, was " + wait);
      }
      this.lockWait = wait;
      return this;
    }

    /**
     * The SSH connection to protect from self-lockout, when it cannot be read from {@code
     * SSH_CONNECTION} on the host (sudo usually resets that variable).
     */
    public Builder protectConnection(String clientAddress, int serverPort) {
      Cidrs.normalize(clientAddress);
      PortRange.of(serverPort);
      this.protectedClient = clientAddress;
      this.protectedPort = serverPort;
      return this;
    }

    /**
     * Whether an apply that changed something reads the rules and ipsets back ({@code
     * iptables-save}, {@code ipset save}) and checks that they hold exactly the desired state (the
     * plan from them is empty, each ipset has exactly its entries); true by default.
     *
     * <p>Turn it off for large lists applied often (thousands of CIDRs refreshed by a controller),
     * where the read-back is a dump of everything just written: with the nf_tables backend, {@code
     * iptables-save} of 10,000 rules takes about 40% as long as restoring them, and {@code ipset
     * save} of 10,000 entries about a third as long as the {@code ipset restore}. Each table's
     * {@code iptables-restore} is atomic and its exit status says whether the kernel took the whole
     * input, and an ipset is filled aside and swapped in, so the apply then trusts them. What you
     * lose: a rule the kernel stores differently from how it was written is no longer noticed (and
     * rolled back) by this apply; the result says {@link IptablesApplyResult#verified()} false. The
     * snapshot and the rollback of a failed restore or a failed check work as before, and a no-op
     * re-apply is still detected from the state read before applying, so the next apply notices any
     * difference.
     *
     * <pre>{@code
     * IptablesApplier fast = IptablesApplier.builder(executor).verifyAfterApply(false).build();
     * }</pre>
     */
    public Builder verifyAfterApply(boolean verify) {
      this.verifyAfterApply = verify;
      return this;
    }

    /**
     * How {@link NodePortAllowlist.Mode#AUTO} finds the host's datapath; {@link
     * DatapathDetector#on(CommandExecutor)} on the applier's executor by default.
     */
    public Builder datapathDetector(DatapathDetector detector) {
      this.datapathDetector = Objects.requireNonNull(detector, "detector");
      return this;
    }

    /** The applier. */
    public IptablesApplier build() {
      return new IptablesApplier(this);
    }
  }

  @Override
  public String toString() {
    return "IptablesApplier{" + executor + "}";
  }
}
