package dev.opskit.iptables;

import dev.opskit.core.Command;
import dev.opskit.core.CommandExecutor;
import dev.opskit.core.ExecResult;
import dev.opskit.iptables.internal.Cidrs;
import dev.opskit.iptables.internal.RuleSetParser;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies owned rule sets and NodePort allowlists to a host through a {@link CommandExecutor}:
 * observe ({@code iptables-save}), plan, apply (one {@code iptables-restore --noflush -w} per
 * changed table, naming only opskit-owned chains), verify (observe again; the plan must now be
 * empty). A second apply of the same set runs no state-changing command and says so.
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
  private volatile IptablesBackend detected;

  private IptablesApplier(Builder builder) {
    this.executor = builder.executor;
    this.fixedBackend = builder.backend;
    this.commandTimeout = builder.commandTimeout;
    this.protectedClient = builder.protectedClient;
    this.protectedPort = builder.protectedPort;
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
    return fixedBackend == null ? family.command() + suffix : fixedBackend.program(family, suffix);
  }

  /**
   * Reads the live rules of one family with {@code iptables-save}.
   *
   * @throws dev.opskit.core.CommandFailedException when the save command fails
   */
  public IptablesRuleSet observe(IpFamily family) throws IOException, InterruptedException {
    return observe(family, Map.of());
  }

  /** Observes, taking rule lines that render a known desired rule as that rule (exact). */
  private IptablesRuleSet observe(IpFamily family, Map<String, Rule> known)
      throws IOException, InterruptedException {
    ExecResult saved = run(Command.of(program(family, "-save"))).requireSuccess();
    return RuleSetParser.parse(family, saved.stdoutUtf8(), known);
  }

  /** Observes the families and ipsets an apply would touch, for a later rollback. */
  public IptablesSnapshot snapshot(
      List<String> owners, Set<IpFamily> families, List<String> ipsetNames)
      throws IOException, InterruptedException {
    return snapshot(owners, families, ipsetNames, Map.of());
  }

  private IptablesSnapshot snapshot(
      List<String> owners,
      Set<IpFamily> families,
      List<String> ipsetNames,
      Map<IpFamily, Map<String, Rule>> known)
      throws IOException, InterruptedException {
    IptablesSnapshot.Builder snapshot = IptablesSnapshot.builder().addAllOwners(owners);
    for (IpFamily family : families) {
      snapshot.putRuleSets(family, observe(family, known.getOrDefault(family, Map.of())));
    }
    for (String name : ipsetNames) {
      ExecResult saved = run(Command.of("ipset", "save", name));
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
    return applyAll(desired, List.of(), List.of(), List.of());
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
    refuseSelfLockout(allowlist);
    allowlist.warnings().forEach(w -> LOG.warn("allowlist {}: {}", allowlist.name(), w));
    List<IptablesRuleSet> sets = new ArrayList<>();
    for (IpFamily family : allowlist.families()) {
      sets.add(allowlist.ruleSet(family));
    }
    List<String> stale = new ArrayList<>();
    if (!allowlist.useIpset()) {
      stale.addAll(existingIpsets(allowlist));
    }
    return applyAll(sets, allowlist.ipsets(), stale, allowlist.warnings());
  }

  /** {@link #apply(NodePortAllowlist)} with a check and rollback, as in {@link #applyWithCheck}. */
  public IptablesApplyResult applyWithCheck(
      NodePortAllowlist allowlist, ApplyCheck check, Duration timeout)
      throws IOException, InterruptedException {
    return checked(apply(allowlist), check, timeout);
  }

  /** Deletes every chain and jump {@code owner} owns, in both families. */
  public IptablesApplyResult remove(String owner) throws IOException, InterruptedException {
    return applyAll(
        List.of(
            IptablesRuleSet.empty(IpFamily.IPV4, owner),
            IptablesRuleSet.empty(IpFamily.IPV6, owner)),
        List.of(),
        List.of(),
        List.of());
  }

  /** Deletes the allowlist's chains, jumps and ipsets. */
  public IptablesApplyResult remove(NodePortAllowlist allowlist)
      throws IOException, InterruptedException {
    List<String> sets = existingIpsets(allowlist);
    return applyAll(
        List.of(
            IptablesRuleSet.empty(IpFamily.IPV4, allowlist.name()),
            IptablesRuleSet.empty(IpFamily.IPV6, allowlist.name())),
        List.of(),
        sets,
        List.of());
  }

  /**
   * Restores what the snapshot's owners had: their chains, jumps and ipsets, leaving every other
   * rule as it is now.
   */
  public List<String> rollback(IptablesSnapshot snapshot) throws IOException, InterruptedException {
    List<String> commands = new ArrayList<>();
    StringBuilder recreate = new StringBuilder();
    StringBuilder destroy = new StringBuilder();
    Set<String> live = liveIpsets(snapshot.ipsetEntries().size() + snapshot.missingIpsets().size());
    for (Map.Entry<String, List<String>> set : snapshot.ipsetEntries().entrySet()) {
      IpsetSpec spec =
          IpsetSpec.of(set.getKey(), snapshot.ipsetFamilies().get(set.getKey()), set.getValue());
      if (live.contains(spec.temporaryName())) {
        recreate.append("destroy ").append(spec.temporaryName()).append('\n');
      }
      recreate.append(spec.restoreInput(!live.contains(spec.name())));
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
      IptablesRuleSet current = observe(entry.getKey());
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
      List<String> warnings)
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
    IptablesSnapshot snapshot = snapshot(owners, families, ipsetNames, known);

    StringBuilder ipsetInput = new StringBuilder();
    Set<String> live = ipsetNames.isEmpty() ? Set.of() : liveIpsets(ipsetNames.size());
    for (IpsetSpec spec : ipsets) {
      List<String> current = snapshot.ipsetEntries().get(spec.name());
      if (current != null
          && Set.copyOf(current).equals(Set.copyOf(spec.entries()))
          && snapshot.ipsetFamilies().get(spec.name()) == spec.family()) {
        continue;
      }
      if (live.contains(spec.temporaryName())) {
        ipsetInput.append("destroy ").append(spec.temporaryName()).append('\n');
      }
      ipsetInput.append(spec.restoreInput(current == null));
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
      return result.changed(false).build();
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
    verify(desired, snapshot, known);
    return result.changed(true).addAllCommands(commands).build();
  }

  private void verify(
      List<IptablesRuleSet> desired,
      IptablesSnapshot snapshot,
      Map<IpFamily, Map<String, Rule>> known)
      throws IOException, InterruptedException {
    Map<IpFamily, IptablesRuleSet> now = new EnumMap<>(IpFamily.class);
    for (IptablesRuleSet set : desired) {
      IptablesRuleSet observed = now.get(set.family());
      if (observed == null) {
        observed = observe(set.family(), known.getOrDefault(set.family(), Map.of()));
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
        return Boolean.TRUE.equals(
                future.get(timeout.toNanos(), java.util.concurrent.TimeUnit.NANOSECONDS))
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

  private void refuseSelfLockout(NodePortAllowlist allowlist)
      throws IOException, InterruptedException {
    if (allowlist.allowSelfLockout()) {
      return;
    }
    String client = protectedClient;
    int port = protectedPort;
    if (client == null) {
      ExecResult env = run(Command.of("printenv", "SSH_CONNECTION"));
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

  /**
   * The allowlist's ipsets that exist on the host. A host without the ipset program has none: a
   * missing program shows as a non-zero exit (over SSH) or an IOException (locally), and a real
   * transport failure resurfaces at the next iptables command anyway.
   */
  private List<String> existingIpsets(NodePortAllowlist allowlist) throws InterruptedException {
    Set<String> live;
    try {
      live = liveIpsets(1);
    } catch (IOException e) {
      return List.of();
    }
    List<String> names = new ArrayList<>();
    for (IpFamily family : IpFamily.values()) {
      if (live.contains(allowlist.ipsetName(family))) {
        names.add(allowlist.ipsetName(family));
      }
    }
    return names;
  }

  private Set<String> liveIpsets(int wanted) throws IOException, InterruptedException {
    if (wanted == 0) {
      return Set.of();
    }
    ExecResult list = run(Command.of("ipset", "list", "-n"));
    if (!list.isSuccess()) {
      return Set.of();
    }
    return new LinkedHashSet<>(list.stdoutUtf8().lines().map(String::strip).toList());
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
