package dev.opskit.iptables.internal;

import dev.opskit.iptables.IpFamily;
import dev.opskit.iptables.IpsetSpec;
import dev.opskit.iptables.IptablesApplier;
import dev.opskit.iptables.IptablesApplyException;
import dev.opskit.iptables.IptablesApplyResult;
import dev.opskit.iptables.IptablesPlan;
import dev.opskit.iptables.IptablesRuleSet;
import dev.opskit.iptables.IptablesSnapshot;
import dev.opskit.iptables.Rule;
import dev.opskit.iptables.Table;
import dev.opskit.iptables.internal.ApplyThreads.Reader;
import dev.opskit.iptables.internal.BatchSignals.StaleException;
import dev.opskit.iptables.internal.BatchSignals.StepFailedException;
import dev.opskit.iptables.internal.HostRead.SavedIpset;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Plans a change against a state read under the host lock and writes it in one batch that runs only
 * when no other write came since that read; retries on a fresh read when one did, and finishes
 * (through {@link Recovery}) an interrupted apply a read found first.
 */
public final class ApplyEngine {
  private static final Logger LOG = LoggerFactory.getLogger(IptablesApplier.class);
  static final int ATTEMPTS = 5;

  /** The rules in other tables above which the read-back lists its tables instead of a save. */
  static final int LISTING_THRESHOLD = 1_000;

  private final HostBatches host;
  private final boolean verifyAfterApply;
  private final Recovery recovery;

  /** An engine writing through {@code host}; {@code verifyAfterApply} reads each write back. */
  public ApplyEngine(HostBatches host, boolean verifyAfterApply) {
    this.host = host;
    this.verifyAfterApply = verifyAfterApply;
    this.recovery = new Recovery(host, this);
  }

  /** Rollbacks and journal recovery on the same host. */
  public Recovery recovery() {
    return recovery;
  }

  /** What an apply makes the host hold. */
  public record Change(
      List<IptablesRuleSet> desired,
      List<IpsetSpec> ipsets,
      List<String> ipsetsToDestroy,
      List<String> warnings) {
    Journal.State state() {
      return new Journal.State(desired, ipsets, ipsetsToDestroy);
    }
  }

  /**
   * A change planned against a read: the snapshot of what it touches, the rule plans, the writes in
   * order and one line per ipset change.
   */
  public record Prepared(
      IptablesSnapshot snapshot,
      List<IptablesPlan> plans,
      List<Write> writes,
      List<String> ipsetChanges) {}

  /** One try of an apply from a state read under the host lock. */
  @FunctionalInterface
  public interface Attempt {
    /** Plans and applies against {@code read}. */
    IptablesApplyResult apply(HostRead read) throws IOException, InterruptedException;
  }

  /**
   * {@code reader}'s read, first finishing (or undoing) an apply a journal shows was interrupted.
   */
  public HostRead readRecovered(Reader reader) throws IOException, InterruptedException {
    HostRead read = reader.read();
    if (read.journal().isPresent()) {
      LOG.warn("{}", recovery.recover(read.journal().get()));
      read = reader.read();
    }
    return read;
  }

  /**
   * Runs {@code attempt} on {@code first}, finishing an interrupted apply first when the read found
   * its journal, and again on a fresh read when another apply changed the host between the read and
   * the write (at most {@value #ATTEMPTS} tries).
   */
  public IptablesApplyResult serialised(HostRead first, Reader reader, Attempt attempt)
      throws IOException, InterruptedException {
    HostRead read = first;
    String recovered = null;
    for (int tries = 1; ; tries++) {
      if (read.journal().isPresent()) {
        if (tries > ATTEMPTS) {
          throw new IptablesApplyException(
              "an interrupted apply's journal stays on the host after " + ATTEMPTS + " recoveries",
              null,
              false);
        }
        recovered = recovery.recover(read.journal().get());
        LOG.warn("{}", recovered);
        read = reader.read();
        continue;
      }
      try {
        IptablesApplyResult result = attempt.apply(read);
        return recovered == null
            ? result
            : IptablesApplyResult.builder().from(result).recovery(recovered).build();
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

  /** The snapshot of {@code families} and {@code ipsetNames} that {@code read} holds. */
  public IptablesSnapshot snapshot(
      List<String> owners,
      Collection<IpFamily> families,
      List<String> ipsetNames,
      Map<IpFamily, Map<String, Rule>> known,
      HostRead read) {
    IptablesSnapshot.Builder snapshot =
        IptablesSnapshot.builder().addAllOwners(owners).generation(read.generation());
    for (IpFamily family : families) {
      snapshot.putRuleSets(family, host.saved(read, family, known.getOrDefault(family, Map.of())));
    }
    for (String name : ipsetNames) {
      SavedIpset saved = read.savedIpset(name);
      if (saved == null) {
        snapshot.addMissingIpsets(name);
      } else {
        snapshot.putIpsetEntries(name, saved.entries()).putIpsetFamilies(name, saved.family());
      }
    }
    return snapshot.build();
  }

  /** Plans {@code change} against the state {@code read} found; writes nothing. */
  public Prepared prepare(Change change, HostRead read, Map<IpFamily, Map<String, Rule>> known)
      throws IOException, InterruptedException {
    List<String> ipsetNames = new ArrayList<>(IpsetSync.names(change.ipsets()));
    ipsetNames.addAll(change.ipsetsToDestroy());
    IptablesSnapshot snapshot =
        snapshot(owners(change.desired()), families(change.desired()), ipsetNames, known, read);
    List<String> lines = new ArrayList<>();
    StringBuilder ipsetInput = new StringBuilder();
    Set<String> live = read.liveIpsets();
    for (IpsetSpec spec : change.ipsets()) {
      SavedIpset current = IpsetSync.captured(snapshot, spec.name());
      if (current != null && current.holds(spec)) {
        continue;
      }
      IpsetSync.appendFill(ipsetInput, spec, live, current == null);
      lines.add(IpsetSync.describeFill(spec, current));
    }
    StringBuilder destroyInput = new StringBuilder();
    for (String name : change.ipsetsToDestroy()) {
      if (!snapshot.missingIpsets().contains(name)) {
        destroyInput.append("destroy ").append(name).append('\n');
        lines.add("destroy ipset " + name);
      }
    }
    List<IptablesPlan> plans = new ArrayList<>();
    for (IptablesRuleSet set : change.desired()) {
      plans.add(IptablesPlan.of(snapshot.ruleSet(set.family()).orElseThrow(), set));
    }
    List<Write> writes = new ArrayList<>();
    if (ipsetInput.length() > 0) {
      writes.add(Write.ipsets(ipsetInput.toString()));
    }
    for (IptablesPlan plan : plans) {
      for (String input : plan.restoreInputs().values()) {
        writes.add(host.restore(plan.family(), input));
      }
    }
    if (destroyInput.length() > 0) {
      writes.add(Write.ipsets(destroyInput.toString()));
    }
    return new Prepared(snapshot, plans, writes, lines);
  }

  /**
   * Plans and applies {@code change} against the state {@code read} found, in one write batch that
   * runs only when no other write came since that read. A multi-step write leaves a journal on the
   * host until it is done; {@code journalBefore} is the state to record as the one before (null:
   * the owned state just read).
   *
   * @throws StaleException when another apply wrote in between; nothing was changed
   */
  public IptablesApplyResult applyAll(
      Change change,
      HostRead read,
      Map<IpFamily, Map<String, Rule>> known,
      Journal.State journalBefore)
      throws IOException, InterruptedException {
    Prepared prepared = prepare(change, read, known);
    IptablesSnapshot snapshot = prepared.snapshot();
    List<Write> writes = prepared.writes();
    IptablesApplyResult.Builder result =
        IptablesApplyResult.builder()
            .addAllPlans(prepared.plans())
            .snapshot(snapshot)
            .addAllWarnings(change.warnings());
    if (writes.isEmpty() && journalBefore == null) {
      // the state just read equals the desired one: verified by that observation
      return result.changed(false).verified(true).generation(read.generation()).build();
    }
    String journal = null;
    if (writes.size() > 1) {
      Journal.State before = journalBefore != null ? journalBefore : ownedState(snapshot, change);
      journal = new Journal(Instant.now(), change.state(), before).render();
    }
    Set<IpFamily> families = families(change.desired());
    Map<IpFamily, Set<String>> tables =
        worthListing(touchedTables(change.desired(), prepared.plans()), snapshot);
    List<String> commands = new ArrayList<>();
    HostRead outcome;
    try {
      // the read-back rides in the call of the writes: one call for the whole apply
      outcome =
          host.write(
              writes,
              batch -> {
                if (verifyAfterApply) {
                  host.addReadBack(
                      batch,
                      !change.ipsetsToDestroy().isEmpty(),
                      families,
                      tables,
                      IpsetSync.names(change.ipsets()));
                }
              },
              commands,
              read.generation(),
              journal);
    } catch (StepFailedException e) {
      String restored =
          journalBefore != null
              ? "; not rolled back here"
              : recovery.afterFailure(snapshot, e.generation());
      throw new IptablesApplyException(
          "apply failed at `" + e.step() + "`: " + e.result().stderrUtf8().strip() + restored,
          e.result(),
          restored.equals(Recovery.RESTORED));
    }
    if (writes.isEmpty()) {
      // an interrupted apply's journal, cleared: the host already held its target
      return result.changed(false).verified(true).generation(outcome.generation()).build();
    }
    if (verifyAfterApply) {
      List<String> differences = differences(change, known, tables, outcome);
      if (!differences.isEmpty()) {
        String restored = recovery.afterFailure(snapshot, outcome.generation());
        throw new IptablesApplyException(
            "state read back after apply differs from the desired one"
                + restored
                + ":\n"
                + String.join("", differences),
            null,
            restored.equals(Recovery.RESTORED));
      }
    }
    return result
        .changed(true)
        .verified(verifyAfterApply)
        .addAllCommands(commands)
        .generation(outcome.generation())
        .build();
  }

  /**
   * The tables per family that the read-back may list instead of saving every table: those the
   * desired sets fill and those the plans change. Any other table held nothing of the owners before
   * the apply (else the plan would change it) and was not written.
   */
  private static Map<IpFamily, Set<String>> touchedTables(
      List<IptablesRuleSet> desired, List<IptablesPlan> plans) {
    Map<IpFamily, Set<String>> tables = new EnumMap<>(IpFamily.class);
    for (IptablesRuleSet set : desired) {
      Set<String> names = tables.computeIfAbsent(set.family(), f -> new LinkedHashSet<>());
      set.tables().forEach(t -> names.add(t.name()));
    }
    for (IptablesPlan plan : plans) {
      tables
          .computeIfAbsent(plan.family(), f -> new LinkedHashSet<>())
          .addAll(plan.restoreInputs().keySet());
    }
    return tables;
  }

  /**
   * Of {@code tables}, the families whose other tables held at least {@value #LISTING_THRESHOLD}
   * rules when {@code snapshot} was read (kube-proxy's nat table, say): listing a table then costs
   * far less than {@code iptables-save}, which with the nft backend fetches every table even with
   * {@code -t}. With few rules elsewhere one save is cheaper than a listing per table.
   */
  private static Map<IpFamily, Set<String>> worthListing(
      Map<IpFamily, Set<String>> tables, IptablesSnapshot snapshot) {
    Map<IpFamily, Set<String>> worth = new EnumMap<>(IpFamily.class);
    tables.forEach(
        (family, names) -> {
          int elsewhere = 0;
          for (Table table : snapshot.ruleSet(family).orElseThrow().tables()) {
            if (!names.contains(table.name())) {
              elsewhere += table.chains().stream().mapToInt(c -> c.rules().size()).sum();
            }
          }
          if (elsewhere >= LISTING_THRESHOLD) {
            worth.put(family, names);
          }
        });
    return worth;
  }

  /** How the state read back after the writes differs from {@code change}; empty when it holds. */
  private List<String> differences(
      Change change,
      Map<IpFamily, Map<String, Rule>> known,
      Map<IpFamily, Set<String>> tables,
      HostRead read) {
    List<String> differences = new ArrayList<>();
    Map<IpFamily, Optional<IptablesRuleSet>> now = new EnumMap<>(IpFamily.class);
    for (IptablesRuleSet set : change.desired()) {
      Optional<IptablesRuleSet> observed =
          now.computeIfAbsent(
              set.family(),
              family ->
                  tables.containsKey(family)
                      ? host.listed(
                          read,
                          family,
                          tables.get(family),
                          known.getOrDefault(family, Map.of()),
                          differences)
                      : Optional.of(
                          host.saved(read, family, known.getOrDefault(family, Map.of()))));
      if (observed.isEmpty()) {
        continue;
      }
      IptablesPlan left = IptablesPlan.of(observed.get(), set);
      if (!left.isEmpty()) {
        differences.add(left.render());
      }
    }
    for (IpsetSpec spec : change.ipsets()) {
      SavedIpset saved = read.savedIpset(spec.name());
      if (saved == null || !saved.holds(spec)) {
        differences.add(IpsetSync.difference(spec, saved));
      }
    }
    Set<String> live = read.liveIpsets();
    for (String name : change.ipsetsToDestroy()) {
      if (live.contains(name)) {
        differences.add("ipset " + name + " still exists\n");
      }
    }
    return differences;
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

  /** The sets' owners, in order. */
  public static List<String> owners(List<IptablesRuleSet> sets) {
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

  /** The sets' families, in order. */
  public static Set<IpFamily> families(List<IptablesRuleSet> sets) {
    Set<IpFamily> families = new LinkedHashSet<>();
    sets.forEach(s -> families.add(s.family()));
    return families;
  }
}
