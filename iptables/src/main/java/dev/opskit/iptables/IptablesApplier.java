package dev.opskit.iptables;

import dev.opskit.core.Command;
import dev.opskit.core.CommandExecutor;
import dev.opskit.core.ExecResult;
import dev.opskit.iptables.internal.Cidrs;
import dev.opskit.iptables.internal.ReadBatch;
import dev.opskit.iptables.internal.RuleSetParser;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies owned rule sets and NodePort allowlists to a host through a {@link CommandExecutor}:
 * observe ({@code iptables-save}), plan, apply (one {@code iptables-restore --noflush -w} per
 * changed table, naming only opskit-owned chains), verify (observe again; the plan must now be
 * empty). A second apply of the same set runs no state-changing command and says so.
 *
 * <p>Everything an apply reads before it changes anything (the SSH connection to protect, the
 * backend, the ipsets, {@code iptables-save} per family) is read by one {@code sh -c} call, with
 * every variable part passed as a positional argument, so an apply costs one call before its
 * restores. The read-back after the restores can be turned off with {@link
 * Builder#verifyAfterApply(boolean)}.
 *
 * <pre>{@code
 * IptablesApplier applier = IptablesApplier.create(executor);
 * IptablesApplyResult result = applier.applyWithCheck(allowlist,
 *     () -> canStillConnect(), Duration.ofSeconds(10));
 * System.out.println(result.summary());
 * applier.remove(allowlist); // deletes exactly what the allowlist owns
 * }</pre>
 *
 * <p>The backend (nf_tables or legacy) is detected from {@code iptables --version} and the matching
 * {@code -save}/{@code -restore} programs are used, never a mix; it can also be fixed in the
 * builder. Thread-safe for use by one caller at a time per host (iptables itself serialises writers
 * with {@code -w}). Does not close the executor.
 */
public final class IptablesApplier {
  private static final Logger LOG = LoggerFactory.getLogger(IptablesApplier.class);

  private final CommandExecutor executor;
  private final IptablesBackend fixedBackend;
  private final Duration commandTimeout;
  private final String protectedClient;
  private final int protectedPort;
  private final boolean verifyAfterApply;
  private volatile IptablesBackend detected;

  private IptablesApplier(Builder builder) {
    this.executor = builder.executor;
    this.fixedBackend = builder.backend;
    this.commandTimeout = builder.commandTimeout;
    this.protectedClient = builder.protectedClient;
    this.protectedPort = builder.protectedPort;
    this.verifyAfterApply = builder.verifyAfterApply;
  }

  /** An applier with backend detection and a 60-second timeout per command. */
  public static IptablesApplier create(CommandExecutor executor) {
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
    IptablesBackend backend = detected;
    if (backend == null) {
      ExecResult version = run(Command.of("iptables", "--version")).requireSuccess();
      backend = IptablesBackend.fromVersion(version.stdoutUtf8() + version.stderrUtf8());
      detected = backend;
    }
    return backend;
  }

  private String program(IpFamily family, String suffix) throws IOException, InterruptedException {
    backend();
    return programName(family, suffix);
  }

  private String programName(IpFamily family, String suffix) {
    return fixedBackend == null ? family.command() + suffix : fixedBackend.program(family, suffix);
  }

  /**
   * Runs the read-only steps in one call and returns each step's result by its argv. Detects the
   * backend in the same call when it is not known yet.
   */
  private Map<List<String>, ExecResult> read(
      boolean sshConnection,
      boolean listIpsets,
      Collection<IpFamily> families,
      Collection<String> ipsetNames)
      throws IOException, InterruptedException {
    ReadBatch batch = ReadBatch.create();
    if (sshConnection) {
      batch.sshConnection();
    }
    boolean detect = fixedBackend == null && detected == null;
    if (detect) {
      batch.version("iptables");
    }
    if (listIpsets) {
      batch.listIpsets();
    }
    families.forEach(f -> batch.save(programName(f, "-save")));
    ipsetNames.forEach(batch::saveIpset);
    if (batch.isEmpty()) {
      return Map.of();
    }
    Map<List<String>, ExecResult> results = batch.results(run(batch.command()));
    if (detect) {
      ExecResult version = results.get(List.of("iptables", "--version")).requireSuccess();
      detected = IptablesBackend.fromVersion(version.stdoutUtf8() + version.stderrUtf8());
    }
    return results;
  }

  /** {@code read} plus {@code ipset save} of each of {@code names}, read now. */
  private Map<List<String>, ExecResult> withIpsetsSaved(
      Map<List<String>, ExecResult> read, List<String> names)
      throws IOException, InterruptedException {
    Map<List<String>, ExecResult> all = new HashMap<>(read);
    all.putAll(read(false, false, List.of(), names));
    return all;
  }

  private IptablesRuleSet saved(
      Map<List<String>, ExecResult> read, IpFamily family, Map<String, Rule> known) {
    ExecResult saved =
        Objects.requireNonNull(read.get(List.of(programName(family, "-save"))), "save not read")
            .requireSuccess();
    return RuleSetParser.parse(family, saved.stdoutUtf8(), known);
  }

  /**
   * Reads the live rules of one family with {@code iptables-save}.
   *
   * @throws dev.opskit.core.CommandFailedException when the save command fails
   */
  public IptablesRuleSet observe(IpFamily family) throws IOException, InterruptedException {
    ExecResult saved = run(Command.of(program(family, "-save"))).requireSuccess();
    return RuleSetParser.parse(family, saved.stdoutUtf8());
  }

  /** Observes the families and ipsets an apply would touch, for a later rollback. */
  public IptablesSnapshot snapshot(
      List<String> owners, Set<IpFamily> families, List<String> ipsetNames)
      throws IOException, InterruptedException {
    return snapshot(
        owners, families, ipsetNames, Map.of(), read(false, false, families, ipsetNames));
  }

  private IptablesSnapshot snapshot(
      List<String> owners,
      Set<IpFamily> families,
      List<String> ipsetNames,
      Map<IpFamily, Map<String, Rule>> known,
      Map<List<String>, ExecResult> read) {
    IptablesSnapshot.Builder snapshot = IptablesSnapshot.builder().addAllOwners(owners);
    for (IpFamily family : families) {
      snapshot.putRuleSets(family, saved(read, family, known.getOrDefault(family, Map.of())));
    }
    for (String name : ipsetNames) {
      ExecResult saved =
          Objects.requireNonNull(read.get(List.of("ipset", "save", name)), "ipset not read");
      if (!saved.isSuccess()) {
        snapshot.addMissingIpsets(name);
        continue;
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
      snapshot.putIpsetEntries(name, entries).putIpsetFamilies(name, family);
    }
    return snapshot.build();
  }

  /**
   * Makes the host hold exactly these owned rule sets (IPv4 and IPv6 sets may be mixed).
   *
   * @throws IptablesApplyException when a restore fails or the result does not verify; the previous
   *     state has then been restored
   */
  public IptablesApplyResult apply(List<IptablesRuleSet> desired)
      throws IOException, InterruptedException {
    return applyAll(desired, List.of(), List.of(), List.of(), null);
  }

  /** Same as {@link #apply(List)}. */
  public IptablesApplyResult apply(IptablesRuleSet... desired)
      throws IOException, InterruptedException {
    return apply(List.of(desired));
  }

  /**
   * Applies, then runs {@code check}; when it returns false, throws or runs past {@code timeout},
   * restores the snapshot and reports {@link IptablesApplyResult#rolledBack()}.
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
   * @throws SelfLockoutException when the executor's own SSH connection would be dropped and the
   *     allowlist does not allow it
   */
  public IptablesApplyResult apply(NodePortAllowlist allowlist)
      throws IOException, InterruptedException {
    boolean readSshConnection = !allowlist.allowSelfLockout() && protectedClient == null;
    List<String> ipsetNames = allowlist.ipsets().stream().map(IpsetSpec::name).toList();
    Map<List<String>, ExecResult> read =
        read(readSshConnection, true, allowlist.families(), ipsetNames);
    refuseSelfLockout(allowlist, read.get(ReadBatch.SSH_CONNECTION));
    allowlist.warnings().forEach(w -> LOG.warn("allowlist {}: {}", allowlist.name(), w));
    List<IptablesRuleSet> sets = new ArrayList<>();
    for (IpFamily family : allowlist.families()) {
      sets.add(allowlist.ruleSet(family));
    }
    List<String> stale = new ArrayList<>();
    if (!allowlist.useIpset()) {
      // sets left from an earlier ipset-backed apply: rarely there, so saved by a second read
      stale.addAll(existing(ipsetNames(allowlist), read));
      if (!stale.isEmpty()) {
        read = withIpsetsSaved(read, stale);
      }
    }
    return applyAll(sets, allowlist.ipsets(), stale, allowlist.warnings(), read);
  }

  /** {@link #apply(NodePortAllowlist)} with a check and rollback, as in {@link #applyWithCheck}. */
  public IptablesApplyResult applyWithCheck(
      NodePortAllowlist allowlist, ApplyCheck check, Duration timeout)
      throws IOException, InterruptedException {
    return checked(apply(allowlist), check, timeout);
  }

  /** Deletes every chain and jump {@code owner} owns, in both families. */
  public IptablesApplyResult remove(String owner) throws IOException, InterruptedException {
    return applyAll(emptySets(owner), List.of(), List.of(), List.of(), null);
  }

  /** Deletes the allowlist's chains, jumps and ipsets. */
  public IptablesApplyResult remove(NodePortAllowlist allowlist)
      throws IOException, InterruptedException {
    Map<List<String>, ExecResult> read =
        read(false, true, List.of(IpFamily.values()), ipsetNames(allowlist));
    return applyAll(
        emptySets(allowlist.name()),
        List.of(),
        existing(ipsetNames(allowlist), read),
        List.of(),
        read);
  }

  /** Owned sets of both families without tables: applied, they remove what {@code owner} has. */
  private static List<IptablesRuleSet> emptySets(String owner) {
    return List.of(
        IptablesRuleSet.empty(IpFamily.IPV4, owner), IptablesRuleSet.empty(IpFamily.IPV6, owner));
  }

  /**
   * Restores what the snapshot's owners had: their chains, jumps and ipsets, leaving every other
   * rule as it is now.
   */
  public List<String> rollback(IptablesSnapshot snapshot) throws IOException, InterruptedException {
    List<String> commands = new ArrayList<>();
    StringBuilder recreate = new StringBuilder();
    StringBuilder destroy = new StringBuilder();
    boolean touchesIpsets =
        !snapshot.ipsetEntries().isEmpty() || !snapshot.missingIpsets().isEmpty();
    Map<List<String>, ExecResult> read =
        read(false, touchesIpsets, snapshot.ruleSets().keySet(), List.of());
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
    if (recreate.length() > 0) {
      restoreIpsets(recreate.toString(), commands);
    }
    for (Map.Entry<IpFamily, IptablesRuleSet> entry : snapshot.ruleSets().entrySet()) {
      IptablesRuleSet current = saved(read, entry.getKey(), Map.of());
      for (String owner : snapshot.owners()) {
        IptablesPlan plan = IptablesPlan.of(current, entry.getValue().ownedPart(owner));
        for (Map.Entry<String, String> input : plan.restoreInputs().entrySet()) {
          restoreTable(entry.getKey(), input.getValue(), commands);
        }
      }
    }
    if (destroy.length() > 0) {
      restoreIpsets(destroy.toString(), commands);
    }
    return commands;
  }

  private IptablesApplyResult applyAll(
      List<IptablesRuleSet> desired,
      List<IpsetSpec> ipsets,
      List<String> ipsetsToDestroy,
      List<String> warnings,
      Map<List<String>, ExecResult> alreadyRead)
      throws IOException, InterruptedException {
    List<String> owners = new ArrayList<>();
    Set<IpFamily> families = new LinkedHashSet<>();
    for (IptablesRuleSet set : desired) {
      String owner =
          set.owner()
              .orElseThrow(() -> new IllegalArgumentException("rule set " + set + " has no owner"));
      if (!owners.contains(owner)) {
        owners.add(owner);
      }
      families.add(set.family());
    }
    List<String> ipsetNames = new ArrayList<>();
    ipsets.forEach(s -> ipsetNames.add(s.name()));
    ipsetNames.addAll(ipsetsToDestroy);
    Map<IpFamily, Map<String, Rule>> known = new EnumMap<>(IpFamily.class);
    for (IpFamily family : families) {
      known.put(
          family,
          RuleSetParser.knownLines(desired.stream().filter(s -> s.family() == family).toList()));
    }
    Map<List<String>, ExecResult> read =
        alreadyRead != null ? alreadyRead : read(false, false, families, List.of());
    IptablesSnapshot snapshot = snapshot(owners, families, ipsetNames, known, read);

    StringBuilder ipsetInput = new StringBuilder();
    Set<String> live = liveIpsets(read);
    for (IpsetSpec spec : ipsets) {
      List<String> current = snapshot.ipsetEntries().get(spec.name());
      if (current != null
          && Set.copyOf(current).equals(Set.copyOf(spec.entries()))
          && snapshot.ipsetFamilies().get(spec.name()) == spec.family()) {
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
            .addAllWarnings(warnings);
    boolean nothing =
        plans.stream().allMatch(IptablesPlan::isEmpty)
            && ipsetInput.length() == 0
            && destroyInput.length() == 0;
    if (nothing) {
      // the state just read equals the desired one: verified by that observation
      return result.changed(false).verified(true).build();
    }
    List<String> commands = new ArrayList<>();
    try {
      if (ipsetInput.length() > 0) {
        restoreIpsets(ipsetInput.toString(), commands);
      }
      for (IptablesPlan plan : plans) {
        for (String input : plan.restoreInputs().values()) {
          restoreTable(plan.family(), input, commands);
        }
      }
      if (destroyInput.length() > 0) {
        restoreIpsets(destroyInput.toString(), commands);
      }
    } catch (StepFailedException e) {
      boolean restored = tryRollback(snapshot);
      throw new IptablesApplyException(
          "apply failed at `"
              + e.result.command().display()
              + "`: "
              + e.result.stderrUtf8().strip()
              + (restored ? "; previous state restored" : "; rollback failed too"),
          e.result,
          restored);
    }
    if (verifyAfterApply) {
      verify(desired, snapshot, known);
    }
    return result.changed(true).verified(verifyAfterApply).addAllCommands(commands).build();
  }

  private void verify(
      List<IptablesRuleSet> desired,
      IptablesSnapshot snapshot,
      Map<IpFamily, Map<String, Rule>> known)
      throws IOException, InterruptedException {
    Map<List<String>, ExecResult> read = read(false, false, known.keySet(), List.of());
    Map<IpFamily, IptablesRuleSet> now = new EnumMap<>(IpFamily.class);
    for (IptablesRuleSet set : desired) {
      IptablesRuleSet observed = now.get(set.family());
      if (observed == null) {
        observed = saved(read, set.family(), known.getOrDefault(set.family(), Map.of()));
        now.put(set.family(), observed);
      }
      IptablesPlan left = IptablesPlan.of(observed, set);
      if (!left.isEmpty()) {
        boolean restored = tryRollback(snapshot);
        throw new IptablesApplyException(
            "rules read back after apply differ from the desired set:\n" + left.render(),
            null,
            restored);
      }
    }
  }

  private boolean tryRollback(IptablesSnapshot snapshot) throws InterruptedException {
    try {
      rollback(snapshot);
      return true;
    } catch (IOException | RuntimeException e) {
      LOG.error("rollback failed", e);
      return false;
    }
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
    commands.addAll(rollback(applied.snapshot()));
    return IptablesApplyResult.builder()
        .from(applied)
        .commands(commands)
        .rolledBack(true)
        .checkFailure(failure)
        .build();
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
    if (allowlist.allowSelfLockout()) {
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
    if (allowlist.blocks(client, "tcp", port)) {
      throw new SelfLockoutException(client, port, allowlist.name());
    }
  }

  /** The names the allowlist's ipsets have or would have, in both families. */
  private static List<String> ipsetNames(NodePortAllowlist allowlist) {
    List<String> names = new ArrayList<>();
    for (IpFamily family : IpFamily.values()) {
      names.add(allowlist.ipsetName(family));
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
    ExecResult list = read.get(ReadBatch.LIST_IPSETS);
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

  private void restoreIpsets(String input, List<String> commands)
      throws IOException, InterruptedException {
    Command command = Command.of("ipset", "restore").withStdin(input);
    step(command, commands);
  }

  private void restoreTable(IpFamily family, String input, List<String> commands)
      throws IOException, InterruptedException {
    Command command = Command.of(program(family, "-restore"), "--noflush", "-w").withStdin(input);
    step(command, commands);
  }

  private void step(Command command, List<String> commands)
      throws IOException, InterruptedException {
    ExecResult result = run(command);
    commands.add(command.display());
    if (!result.isSuccess()) {
      throw new StepFailedException(result);
    }
  }

  private ExecResult run(Command command) throws IOException, InterruptedException {
    return executor.execute(command.withTimeout(commandTimeout));
  }

  /** Internal signal that one state-changing step failed. */
  private static final class StepFailedException extends IOException {
    private static final long serialVersionUID = 1L;
    private final transient ExecResult result;

    StepFailedException(ExecResult result) {
      super(result.toString());
      this.result = result;
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
     * Whether an apply that changed something reads the rules back ({@code iptables-save}) and
     * checks that the plan from them to the desired set is empty; true by default.
     *
     * <p>Turn it off for large lists applied often (thousands of CIDRs refreshed by a controller),
     * where the read-back costs about as much as the restore itself: each table's {@code
     * iptables-restore} is atomic and its exit status says whether the kernel took the whole input,
     * so the apply then trusts it. What you lose: a change made by someone else between the restore
     * and the read-back, or a rule the kernel stores differently from how it was written, is no
     * longer noticed (and rolled back) by this apply; the result says {@link
     * IptablesApplyResult#verified()} false. The snapshot and the rollback of a failed restore or a
     * failed check work as before, and a no-op re-apply is still detected from the state read
     * before applying, so the next apply notices any difference.
     *
     * <pre>{@code
     * IptablesApplier fast = IptablesApplier.builder(executor).verifyAfterApply(false).build();
     * }</pre>
     */
    public Builder verifyAfterApply(boolean verify) {
      this.verifyAfterApply = verify;
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
