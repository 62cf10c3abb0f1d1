package dev.opskit.iptables;

import dev.opskit.core.Applier;
import dev.opskit.core.CommandExecutor;
import dev.opskit.iptables.internal.ApplyEngine;
import dev.opskit.iptables.internal.ApplyEngine.Change;
import dev.opskit.iptables.internal.ApplyThreads;
import dev.opskit.iptables.internal.ApplyThreads.Reader;
import dev.opskit.iptables.internal.Cidrs;
import dev.opskit.iptables.internal.DatapathProbe;
import dev.opskit.iptables.internal.HostBatches;
import dev.opskit.iptables.internal.HostRead;
import dev.opskit.iptables.internal.LockoutGuard;
import dev.opskit.iptables.internal.ShellBatch;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.FutureTask;
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
 * <p>It has the shape of every opskit applier ({@link Applier}) for allowlists: {@link
 * #observe(NodePortAllowlist)}, {@link #plan(NodePortAllowlist)}, {@link
 * #apply(NodePortAllowlist)}, {@link #verify(NodePortAllowlist)}, {@link
 * #rollBack(IptablesApplyResult)} and {@link #remove(NodePortAllowlist)}; rule sets have the same
 * verbs.
 *
 * <pre>{@code
 * IptablesApplier applier = IptablesApplier.on(executor);
 * System.out.print(applier.plan(allowlist).render());  // what would change, nothing written
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
 * says so in {@link IptablesApplyResult#recovery()}. A journal acts only on a host where each owned
 * table and ipset it touches holds its state from before the apply or after it; otherwise it is
 * dropped, with a warning in {@code recovery()}. The host needs {@code flock} (util-linux).
 *
 * <p>The backend (nf_tables or legacy) is detected from {@code iptables --version} and the matching
 * {@code -save}/{@code -restore} programs are used, never a mix; it can also be fixed in the
 * builder. Thread-safe for use by one caller at a time per host (iptables itself serialises writers
 * with {@code -w}). Does not close the executor.
 */
public final class IptablesApplier
    implements Applier<
        NodePortAllowlist, IptablesSnapshot, IptablesApplyPlan, IptablesApplyResult> {
  private static final Logger LOG = LoggerFactory.getLogger(IptablesApplier.class);

  /** Where the host keeps the apply lock and journal unless the builder says otherwise. */
  public static final String DEFAULT_STATE_DIRECTORY = "/run/opskit";

  private final CommandExecutor executor;
  private final String protectedClient;
  private final int protectedPort;
  private final DatapathDetector datapathDetector;
  private final HostBatches host;
  private final ApplyEngine engine;

  private IptablesApplier(Builder builder) {
    this.executor = builder.executor;
    this.protectedClient = builder.protectedClient;
    this.protectedPort = builder.protectedPort;
    this.host =
        new HostBatches(
            builder.executor,
            builder.backend,
            builder.commandTimeout,
            builder.stateDirectory,
            builder.lockWait);
    this.engine = new ApplyEngine(host, builder.verifyAfterApply);
    this.datapathDetector =
        builder.datapathDetector != null
            ? builder.datapathDetector
            : new DatapathProbe(builder.executor, builder.stateDirectory, builder.lockWait);
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
    return host.backend();
  }

  /**
   * Reads the live rules of one family with {@code iptables-save}, under the host lock. When a
   * journal shows that an earlier apply was interrupted, finishes (or undoes) it first.
   *
   * @throws dev.opskit.core.CommandFailedException when the save command fails
   * @throws HostLockedException when another apply held the host lock for longer than the wait
   */
  public IptablesRuleSet observe(IpFamily family) throws IOException, InterruptedException {
    HostRead read = engine.readRecovered(() -> host.read(false, false, List.of(family), List.of()));
    return host.saved(read, family, Map.of());
  }

  /**
   * Reads what the allowlist touches, under the host lock: the rules of its families and both of
   * the ipsets an allowlist of its name may keep, as a snapshot of its owner.
   */
  @Override
  public IptablesSnapshot observe(NodePortAllowlist allowlist)
      throws IOException, InterruptedException {
    return snapshot(List.of(allowlist.name()), allowlist.families(), ipsetNames(allowlist.name()));
  }

  /** Observes the families and ipsets an apply would touch, for a later rollback. */
  public IptablesSnapshot snapshot(
      List<String> owners, Set<IpFamily> families, List<String> ipsetNames)
      throws IOException, InterruptedException {
    HostRead read = engine.readRecovered(() -> host.read(false, false, families, ipsetNames));
    return engine.snapshot(owners, families, ipsetNames, Map.of(), read);
  }

  /**
   * Observes the host and plans these owned rule sets against it; writes nothing. The plan is empty
   * when the host already holds them.
   *
   * @throws HostLockedException when another apply held the host lock for longer than the wait
   */
  public IptablesApplyPlan plan(List<IptablesRuleSet> desired)
      throws IOException, InterruptedException {
    ApplyEngine.owners(desired);
    Set<IpFamily> families = ApplyEngine.families(desired);
    HostRead read = engine.readRecovered(() -> host.read(false, false, families, List.of()));
    Change change = new Change(desired, List.of(), List.of(), List.of());
    return toPlan(engine.prepare(change, read, knownLines(desired)), change).build();
  }

  /** Same as {@link #plan(List)}. */
  public IptablesApplyPlan plan(IptablesRuleSet... desired)
      throws IOException, InterruptedException {
    return plan(List.of(desired));
  }

  /**
   * Observes the host and plans the allowlist against it: its rules per family and its ipsets (or
   * the removal of ipsets an earlier ipset-backed apply left); writes nothing. An allowlist in
   * {@link NodePortAllowlist.Mode#AUTO} has its mode chosen on the host first, as {@link
   * #apply(NodePortAllowlist)} does.
   *
   * @throws HostLockedException when another apply held the host lock for longer than the wait
   */
  @Override
  public IptablesApplyPlan plan(NodePortAllowlist allowlist)
      throws IOException, InterruptedException {
    ModeChoice choice = null;
    NodePortAllowlist planned = allowlist;
    if (allowlist.mode() == NodePortAllowlist.Mode.AUTO) {
      choice = chooseMode(allowlist);
      planned = allowlist.inMode(choice.mode());
    }
    NodePortAllowlist list = planned;
    HostRead read = engine.readRecovered(allowlistReader(list, false));
    List<IptablesRuleSet> sets = ruleSets(list);
    List<String> stale = staleIpsets(list, read);
    HostRead full = stale.isEmpty() ? read : host.withIpsetsSaved(read, stale);
    Change change = new Change(sets, list.ipsets(), stale, list.warnings());
    IptablesApplyPlan.Builder plan = toPlan(engine.prepare(change, full, knownLines(sets)), change);
    if (choice != null) {
      plan.modeChoice(choice);
      if (!choice.holds()) {
        plan.addWarnings(choice.reason());
      }
    }
    return plan.build();
  }

  private static IptablesApplyPlan.Builder toPlan(ApplyEngine.Prepared prepared, Change change) {
    return IptablesApplyPlan.builder()
        .plans(prepared.plans())
        .ipsetChanges(prepared.ipsetChanges())
        .warnings(change.warnings());
  }

  /**
   * Observes the host again and plans: an empty plan means it holds exactly these rule sets.
   *
   * @throws HostLockedException when another apply held the host lock for longer than the wait
   */
  public IptablesApplyPlan verify(List<IptablesRuleSet> desired)
      throws IOException, InterruptedException {
    return plan(desired);
  }

  /**
   * Observes the host again and plans: an empty plan means it holds exactly the allowlist's rules
   * and ipsets.
   *
   * @throws HostLockedException when another apply held the host lock for longer than the wait
   */
  @Override
  public IptablesApplyPlan verify(NodePortAllowlist allowlist)
      throws IOException, InterruptedException {
    return plan(allowlist);
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
    ApplyEngine.owners(desired);
    Set<IpFamily> families = ApplyEngine.families(desired);
    Reader reader = () -> host.read(false, false, families, List.of());
    FutureTask<HostRead> reading = ApplyThreads.startReading(reader);
    Map<IpFamily, Map<String, Rule>> known;
    try {
      known = knownLines(desired);
    } catch (RuntimeException | Error e) {
      reading.cancel(true);
      throw e;
    }
    Change change = new Change(desired, List.of(), List.of(), List.of());
    return engine.serialised(
        ApplyThreads.finish(reading), reader, read -> engine.applyAll(change, read, known, null));
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
  @Override
  public IptablesApplyResult apply(NodePortAllowlist allowlist)
      throws IOException, InterruptedException {
    if (allowlist.mode() == NodePortAllowlist.Mode.AUTO) {
      return applyAuto(allowlist);
    }
    boolean readSshConnection =
        (!allowlist.allowSelfLockout() || !allowlist.allowConnectionPort())
            && protectedClient == null;
    Reader reader = allowlistReader(allowlist, readSshConnection);
    FutureTask<HostRead> reading = ApplyThreads.startReading(reader);
    List<IptablesRuleSet> sets;
    List<IpsetSpec> ipsets;
    Map<IpFamily, Map<String, Rule>> known;
    try {
      // built while the host is read: for thousands of CIDRs this takes as long as the read
      sets = ruleSets(allowlist);
      ipsets = allowlist.ipsets();
      ipsets.forEach(IpsetSpec::fillInput);
      known = knownLines(sets);
    } catch (RuntimeException | Error e) {
      reading.cancel(true);
      throw e;
    }
    HostRead first = ApplyThreads.finish(reading);
    LockoutGuard.refuse(
        allowlist, protectedClient, protectedPort, first.result(ShellBatch.SSH_CONNECTION));
    allowlist.warnings().forEach(w -> LOG.warn("allowlist {}: {}", allowlist.name(), w));
    return engine.serialised(
        first,
        reader,
        read -> {
          // sets left from an earlier ipset-backed apply: rarely there, so saved by a second read
          List<String> stale = staleIpsets(allowlist, read);
          HostRead full = stale.isEmpty() ? read : host.withIpsetsSaved(read, stale);
          Change change = new Change(sets, ipsets, stale, allowlist.warnings());
          return engine.applyAll(change, full, known, null);
        });
  }

  /** Reads what applying the allowlist needs: its families, its ipsets and the ipset list. */
  private Reader allowlistReader(NodePortAllowlist allowlist, boolean sshConnection) {
    List<String> ipsetNames =
        allowlist.useIpset()
            ? allowlist.families().stream().map(allowlist::ipsetName).toList()
            : List.of();
    return () -> host.read(sshConnection, true, allowlist.families(), ipsetNames);
  }

  private static List<IptablesRuleSet> ruleSets(NodePortAllowlist allowlist) {
    List<IptablesRuleSet> sets = new ArrayList<>();
    for (IpFamily family : allowlist.families()) {
      sets.add(allowlist.ruleSet(family));
    }
    return sets;
  }

  /** The ipsets an earlier ipset-backed apply of this allowlist left, when it uses none now. */
  private static List<String> staleIpsets(NodePortAllowlist allowlist, HostRead read) {
    return allowlist.useIpset() ? List.of() : read.existing(ipsetNames(allowlist.name()));
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
    Reader reader = () -> host.read(false, true, List.of(IpFamily.values()), ipsetNames);
    List<IptablesRuleSet> empty =
        List.of(
            IptablesRuleSet.empty(IpFamily.IPV4, owner),
            IptablesRuleSet.empty(IpFamily.IPV6, owner));
    return engine.serialised(
        reader.read(),
        reader,
        read ->
            engine.applyAll(
                new Change(empty, List.of(), read.existing(ipsetNames), List.of()),
                read,
                Map.of(),
                null));
  }

  /** Deletes the allowlist's chains, jumps and ipsets; the same as {@code remove(name)}. */
  public IptablesApplyResult remove(NodePortAllowlist allowlist)
      throws IOException, InterruptedException {
    return remove(allowlist.name());
  }

  /** The names the ipsets of allowlist {@code name} have or would have, in both families. */
  private static List<String> ipsetNames(String name) {
    List<String> names = new ArrayList<>();
    for (IpFamily family : IpFamily.values()) {
      names.add(NodePortAllowlist.ipsetName(name, family));
    }
    return names;
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
    return engine.recovery().rollback(snapshot, -1);
  }

  /**
   * Restores the snapshot {@code applied} took, as {@link #rollback(IptablesSnapshot)} does; does
   * nothing for a result that changed nothing or was already rolled back.
   */
  @Override
  public void rollBack(IptablesApplyResult applied) throws IOException, InterruptedException {
    if (applied.changed() && !applied.rolledBack()) {
      rollback(applied.snapshot());
    }
  }

  private IptablesApplyResult checked(
      IptablesApplyResult applied, ApplyCheck check, Duration timeout)
      throws IOException, InterruptedException {
    Objects.requireNonNull(check, "check");
    String failure = ApplyThreads.runCheck(check, timeout);
    if (failure == null) {
      return applied;
    }
    LOG.warn("check failed ({}), rolling back", failure);
    List<String> commands = new ArrayList<>(applied.commands());
    List<String> rolledBack =
        engine.recovery().rollback(applied.snapshot(), applied.generation().orElse(-1));
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
