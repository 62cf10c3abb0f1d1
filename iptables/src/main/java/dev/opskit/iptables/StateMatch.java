package dev.opskit.iptables;

import dev.opskit.core.internal.OpskitStyle;
import dev.opskit.iptables.internal.Options;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.immutables.value.Value;

/**
 * {@code -m state [!] --state STATES}: the older form of {@code -m conntrack --ctstate}.
 *
 * <pre>{@code
 * StateMatch fresh = StateMatch.builder().addStates(ConntrackState.NEW).build();
 * }</pre>
 */
@Value.Immutable
@OpskitStyle
public abstract class StateMatch implements MatchExtension {
  StateMatch() {}

  /** A builder. */
  public static Builder builder() {
    return new Builder();
  }

  /** The states (at least one; SNAT and DNAT are not allowed here). */
  public abstract Set<ConntrackState> states();

  /** {@code !}: none of the states. */
  @Value.Default
  public boolean negated() {
    return false;
  }

  /** Parses the options of {@code -m state}. */
  public static StateMatch parse(List<String> options) {
    List<Options.Option> read = Options.read(options);
    if (read.size() != 1 || !read.get(0).name().equals("--state")) {
      throw new IllegalArgumentException("state takes one --state option, got " + options);
    }
    Builder b = builder().negated(read.get(0).negated());
    for (String state : read.get(0).value().split(",", -1)) {
      b.addStates(ConntrackState.valueOf(state));
    }
    return b.build();
  }

  @Override
  public String module() {
    return "state";
  }

  @Override
  public List<String> options() {
    return Options.writer().add(negated(), "--state", list()).tokens();
  }

  private String list() {
    return EnumSet.copyOf(states()).stream().map(Enum::name).collect(Collectors.joining(","));
  }

  @Override
  public String describe() {
    return "state " + (negated() ? "not " : "") + list();
  }

  @Value.Check
  void check() {
    if (states().isEmpty()) {
      throw new IllegalArgumentException("a state match needs at least one state");
    }
    if (states().contains(ConntrackState.SNAT) || states().contains(ConntrackState.DNAT)) {
      throw new IllegalArgumentException(
          "state " + states() + ": SNAT and DNAT need -m conntrack --ctstate");
    }
  }

  /** Builds a {@link StateMatch}. */
  public static final class Builder extends ImmutableStateMatch.Builder {
    Builder() {}
  }
}
