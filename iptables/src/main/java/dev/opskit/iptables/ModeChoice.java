package dev.opskit.iptables;

import dev.opskit.core.internal.OpskitStyle;
import org.immutables.value.Value;

/**
 * Which {@link NodePortAllowlist.Mode} an allowlist is enforced in on a node, on which datapath,
 * and why; made by {@link NodePortAllowlist#chooseMode(Datapath)}.
 *
 * <pre>{@code
 * ModeChoice choice = applier.chooseMode(allowlist);
 * System.out.println(choice.summary()); // mode RAW_PREROUTING: kube-proxy in nftables mode ...
 * }</pre>
 */
@Value.Immutable
@OpskitStyle
public abstract class ModeChoice {
  ModeChoice() {}

  /** A builder for a choice. */
  public static Builder builder() {
    return new Builder();
  }

  /** The mode the allowlist is enforced in; never {@link NodePortAllowlist.Mode#AUTO}. */
  public abstract NodePortAllowlist.Mode mode();

  /** The datapath the choice was made for. */
  public abstract Datapath datapath();

  /** Whether the mode holds for NodePort traffic on that datapath. */
  public abstract boolean holds();

  /** Why this mode, in one sentence. */
  public abstract String reason();

  /** One line: {@code mode RAW_PREROUTING: REASON}. */
  public String summary() {
    return "mode " + mode() + ": " + reason();
  }

  @Value.Check
  void check() {
    if (mode() == NodePortAllowlist.Mode.AUTO) {
      throw new IllegalArgumentException("a mode choice must name a concrete mode, not AUTO");
    }
  }

  /** Builds a {@link ModeChoice}. */
  public static final class Builder extends ImmutableModeChoice.Builder {
    Builder() {}
  }
}
