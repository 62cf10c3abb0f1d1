package dev.opskit.iptables;

import dev.opskit.core.Applier;
import dev.opskit.core.internal.OpskitStyle;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.immutables.value.Value;

/**
 * What an apply did: whether anything changed (an idempotent re-apply says {@code false} and ran no
 * state-changing command), the plans, the state-changing commands it ran, the snapshot taken
 * before, whether the rules were read back and matched, and whether a failed check rolled the
 * change back.
 */
@Value.Immutable
@OpskitStyle
public abstract class IptablesApplyResult implements Applier.Result {
  IptablesApplyResult() {}

  /** A builder, for tools that assemble results themselves. */
  public static Builder builder() {
    return new Builder();
  }

  /** True when the host's rules or ipsets were changed (and, after a rollback, changed back). */
  @Override
  public abstract boolean changed();

  /** The plan per rule set, empty plans included. */
  public abstract List<IptablesPlan> plans();

  /** Display form of every state-changing command run, in order (empty for a no-op). */
  public abstract List<String> commands();

  /** The state before the apply, for {@link IptablesApplier#rollback(IptablesSnapshot)}. */
  public abstract IptablesSnapshot snapshot();

  /**
   * True when the host was seen to hold the desired rules: read back after the restores, or, for a
   * no-op, read before. False when the applier was built with {@code verifyAfterApply(false)} and
   * changed something: the restores succeeded (each atomic per table) but were not read back.
   */
  @Value.Default
  public boolean verified() {
    return true;
  }

  /** True when a failed or timed-out check made the applier restore the snapshot. */
  @Value.Default
  public boolean rolledBack() {
    return false;
  }

  /** Why the check failed, when it did. */
  public abstract Optional<String> checkFailure();

  /**
   * For an allowlist in {@link NodePortAllowlist.Mode#AUTO}: the mode chosen on the host's
   * datapath, and why.
   */
  public abstract Optional<ModeChoice> modeChoice();

  /** Cautions about the applied configuration, such as the INPUT-mode trap. */
  public abstract List<String> warnings();

  /**
   * What this call did first about an earlier apply that was interrupted (a client killed between
   * two writes): "finished …" when it completed that apply from the journal the host kept, "rolled
   * back …" when finishing failed and it restored the state from before; empty when there was none.
   */
  public abstract Optional<String> recovery();

  /**
   * The host's apply generation after this apply (opskit's count of applies on that host, kept next
   * to its apply lock); empty in a result built by hand. A rollback after a failed check runs only
   * while the host is still at this generation.
   */
  public abstract OptionalLong generation();

  /** One line: what happened. */
  @Override
  public String summary() {
    String recovered = recovery().map(r -> r + "; then ").orElse("");
    return recovered + outcome();
  }

  private String outcome() {
    if (rolledBack()) {
      return "applied, check failed (" + checkFailure().orElse("?") + "), rolled back";
    }
    if (checkFailure().isPresent()) {
      return "applied, check failed (" + checkFailure().get() + "), not rolled back";
    }
    if (!changed()) {
      return "already up to date: no changes";
    }
    long changes = plans().stream().mapToLong(p -> p.changes().size()).sum();
    return "applied "
        + changes
        + " rule change(s) with "
        + commands().size()
        + " command(s)"
        + (verified() ? "" : ", not read back (verification off)");
  }

  /** Builds an {@link IptablesApplyResult}. */
  public static final class Builder extends ImmutableIptablesApplyResult.Builder {
    Builder() {}
  }
}
