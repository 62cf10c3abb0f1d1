package dev.opskit.iptables;

import dev.opskit.core.internal.OpskitStyle;
import dev.opskit.iptables.internal.Options;
import java.util.List;
import org.immutables.value.Value;

/**
 * {@code -m mark [!] --mark VALUE[/MASK]} (the packet's mark) or {@code -m connmark} (the
 * connection's mark), as kube-proxy uses {@code 0x4000/0x4000} to tag packets to masquerade.
 *
 * <pre>{@code
 * MarkMatch masq = MarkMatch.packet(0x4000, 0x4000);
 * }</pre>
 */
@Value.Immutable
@OpskitStyle
public abstract class MarkMatch implements MatchExtension {
  MarkMatch() {}

  /** A builder. */
  public static Builder builder() {
    return new Builder();
  }

  /** {@code -m mark --mark VALUE/MASK}. */
  public static MarkMatch packet(long value, long mask) {
    return builder().value(value).mask(mask).build();
  }

  /** {@code -m connmark --mark VALUE/MASK}. */
  public static MarkMatch connection(long value, long mask) {
    return builder().connection(true).value(value).mask(mask).build();
  }

  /** True for {@code connmark} (the connection's mark), false for {@code mark}. */
  @Value.Default
  public boolean connection() {
    return false;
  }

  /** The mark value, compared after the mask. */
  public abstract long value();

  /** The mask; {@code 0xffffffff} (the default) compares every bit. */
  @Value.Default
  public long mask() {
    return 0xffffffffL;
  }

  /** {@code !}: the mark differs. */
  @Value.Default
  public boolean negated() {
    return false;
  }

  /** Parses the options of {@code -m mark} or (with {@code connection}) {@code -m connmark}. */
  public static MarkMatch parse(boolean connection, List<String> options) {
    List<Options.Option> read = Options.read(options);
    if (read.size() != 1 || !read.get(0).name().equals("--mark")) {
      throw new IllegalArgumentException("mark takes one --mark option, got " + options);
    }
    long[] mark = Options.parseMark(read.get(0).value());
    return builder()
        .connection(connection)
        .value(mark[0])
        .mask(mark[1])
        .negated(read.get(0).negated())
        .build();
  }

  @Override
  public String module() {
    return connection() ? "connmark" : "mark";
  }

  @Override
  public List<String> options() {
    return Options.writer().add(negated(), "--mark", Options.mark(value(), mask())).tokens();
  }

  @Override
  public String describe() {
    return (connection() ? "connection mark " : "mark ")
        + (negated() ? "not " : "")
        + Options.mark(value(), mask());
  }

  @Value.Check
  void check() {
    Options.checkU32(value(), "mark");
    Options.checkU32(mask(), "mark mask");
  }

  /** Builds a {@link MarkMatch}. */
  public static final class Builder extends ImmutableMarkMatch.Builder {
    Builder() {}
  }
}
