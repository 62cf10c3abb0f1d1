package dev.opskit.iptables.internal;

import dev.opskit.core.CommandFailedException;
import dev.opskit.iptables.IpFamily;
import dev.opskit.iptables.IpsetSpec;
import dev.opskit.iptables.IptablesApplier;
import dev.opskit.iptables.IptablesApplyException;
import dev.opskit.iptables.IptablesPlan;
import dev.opskit.iptables.IptablesRuleSet;
import dev.opskit.iptables.IptablesSnapshot;
import dev.opskit.iptables.internal.ApplyEngine.Change;
import dev.opskit.iptables.internal.BatchSignals.StaleException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Goes back: restores a snapshot's owned chains and ipsets, and finishes (or undoes) an apply whose
 * journal a read found on the host.
 */
public final class Recovery {
  private static final Logger LOG = LoggerFactory.getLogger(IptablesApplier.class);

  /** The end of a failure message when the rollback after it worked. */
  public static final String RESTORED = "; previous state restored";

  private final HostBatches host;
  private final ApplyEngine engine;

  Recovery(HostBatches host, ApplyEngine engine) {
    this.host = host;
    this.engine = engine;
  }

  /**
   * Restores what the snapshot's owners had: their chains, jumps and ipsets, leaving every other
   * rule as it is now; returns the commands run. Skipped (returning null) when {@code
   * expectedGeneration} is not negative and another apply changed the host since that generation.
   * An interrupted apply's journal is superseded (cleared) by the rollback.
   */
  public List<String> rollback(IptablesSnapshot snapshot, long expectedGeneration)
      throws IOException, InterruptedException {
    StringBuilder recreate = new StringBuilder();
    StringBuilder destroy = new StringBuilder();
    boolean touchesIpsets =
        !snapshot.ipsetEntries().isEmpty() || !snapshot.missingIpsets().isEmpty();
    HostRead read = host.read(false, touchesIpsets, snapshot.ruleSets().keySet(), List.of());
    if (expectedGeneration >= 0 && read.generation() != expectedGeneration) {
      return null;
    }
    Set<String> live = read.liveIpsets();
    for (Map.Entry<String, List<String>> set : snapshot.ipsetEntries().entrySet()) {
      IpsetSpec spec =
          IpsetSpec.of(set.getKey(), snapshot.ipsetFamilies().get(set.getKey()), set.getValue());
      IpsetSync.appendFill(recreate, spec, live, !live.contains(spec.name()));
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
      IptablesRuleSet current = host.saved(read, entry.getKey(), Map.of());
      for (String owner : snapshot.owners()) {
        IptablesPlan plan = IptablesPlan.of(current, entry.getValue().ownedPart(owner));
        for (String input : plan.restoreInputs().values()) {
          writes.add(host.restore(entry.getKey(), input));
        }
      }
    }
    if (destroy.length() > 0) {
      writes.add(Write.ipsets(destroy.toString()));
    }
    List<String> commands = new ArrayList<>();
    if (writes.isEmpty() && read.journal().isEmpty()) {
      return commands;
    }
    try {
      // an interrupted apply's journal is cleared by this write: the rollback supersedes it
      host.write(writes, batch -> {}, commands, read.generation(), null);
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

  /** Rolls back after a failed write; says how it went, as the end of a message. */
  public String afterFailure(IptablesSnapshot snapshot, long generation)
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

  /**
   * Finishes the apply a journal describes, from whatever point it stopped at; when that fails,
   * rolls it back to the state the journal recorded as before. Says which, in one sentence.
   *
   * <p>A journal acts only on a host that shows the interrupted apply's own states: each rule table
   * and ipset it touches holds either what it held before or what the apply was going to. A host
   * where none of its writes had arrived keeps its state and loses the journal (the apply did not
   * happen). A host where something holds neither was changed outside opskit since, or is another
   * network namespace that got the same key after the journal's own was deleted: the journal is not
   * this host's to act on and is dropped, with a warning in the returned sentence.
   */
  public String recover(String text) throws IOException, InterruptedException {
    Journal journal;
    try {
      journal = Journal.parse(text);
    } catch (IllegalArgumentException e) {
      // only a complete journal is ever moved into place; this one is not opskit's to act on
      clear(host.read(false, false, List.of(), List.of()));
      return "cleared an unreadable apply journal on the host (" + e.getMessage() + ")";
    }
    String what =
        "an interrupted apply of "
            + String.join(", ", journal.target().owners())
            + " (begun "
            + journal.begun()
            + ")";
    HostRead read = host.read(false, true, journal.families(), journal.ipsetNames());
    JournalProgress progress = JournalProgress.of(journal, read, host);
    if (progress.untouched()) {
      clear(read);
      return "dropped the journal of " + what + ": none of its writes had reached the host";
    }
    if (progress.foreign().isPresent()) {
      clear(read);
      return "dropped the journal of "
          + what
          + " without acting on it: "
          + progress.foreign().get()
          + " holds neither the state before nor after it, so the host was changed outside"
          + " opskit since or is not the network namespace the journal was written in";
    }
    for (int tries = 1; ; tries++) {
      try {
        applyJournaled(journal.target(), journal.before(), read);
        return "finished " + what;
      } catch (StaleException e) {
        if (tries >= ApplyEngine.ATTEMPTS) {
          throw new IptablesApplyException(
              "could not finish " + what + ": other applies kept changing the host", null, false);
        }
        read = null;
      } catch (IptablesApplyException | CommandFailedException e) {
        try {
          applyJournaled(journal.before(), journal.before(), null);
          return "rolled back " + what + ": finishing it failed (" + e.getMessage() + ")";
        } catch (StaleException | IptablesApplyException | CommandFailedException again) {
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

  /** Clears the host's journal, writing nothing else; a write in between has handled it. */
  private void clear(HostRead read) throws IOException, InterruptedException {
    try {
      host.write(List.of(), batch -> {}, new ArrayList<>(), read.generation(), null);
    } catch (StaleException e) {
      // another call wrote since the read, and so recovered or cleared the journal first
    }
  }

  /**
   * Applies one state of a journal, keeping the journal's own before-state while it runs; plans
   * from {@code read} when it is given, else from a fresh read.
   */
  private void applyJournaled(Journal.State state, Journal.State before, HostRead read)
      throws IOException, InterruptedException {
    Set<IpFamily> families = ApplyEngine.families(state.ruleSets());
    families.addAll(ApplyEngine.families(before.ruleSets()));
    List<String> ipsetNames = new ArrayList<>(IpsetSync.names(state.ipsets()));
    ipsetNames.addAll(state.absent());
    if (read == null) {
      read = host.read(false, true, families, ipsetNames);
    }
    List<String> destroy = read.existing(state.absent());
    engine.applyAll(
        new Change(state.ruleSets(), state.ipsets(), destroy, List.of()), read, Map.of(), before);
  }
}
