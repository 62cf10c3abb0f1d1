package dev.opskit.iptables;

import dev.opskit.core.internal.OpskitStyle;
import dev.opskit.iptables.internal.Options;
import java.util.List;
import org.immutables.value.Value;

/**
 * {@code -j MARK} (the packet's mark) or {@code -j CONNMARK} (the connection's mark): set bits with
 * {@code --set-xmark VALUE/MASK} (the form iptables-save prints for set, and, or and xor), or for
 * CONNMARK copy the mark with {@code --save-mark} / {@code --restore-mark}.
 *
 * <pre>{@code
 * MarkTarget masq = MarkTarget.orMark(0x4000); // kube-proxy's KUBE-MARK-MASQ
 * }</pre>
 */
@Value.Immutable
@OpskitStyle
public abstract class MarkTarget implements TargetExtension {
  /** What the target does. */
  public enum Mode {
    /** {@code mark = (mark & ~mask) ^ value}. */
    SET_XMARK,
    /** CONNMARK only: copy the packet mark to the connection. */
    SAVE,
    /** CONNMARK only: copy the connection mark to the packet. */
    RESTORE
  }

  MarkTarget() {}

  /** A builder. */
  public static Builder builder() {
    return new Builder();
  }

  /** {@code -j MARK --set-mark VALUE}. */
  public static MarkTarget setMark(long value) {
    return builder().value(value).build();
  }

  /** {@code -j MARK --or-mark BITS}. */
  public static MarkTarget orMark(long bits) {
    return builder().value(bits).mask(bits).build();
  }

  /** {@code -j MARK --and-mark BITS}. */
  public static MarkTarget andMark(long bits) {
    return builder().value(0).mask(~bits & 0xffffffffL).build();
  }

  /** {@code -j MARK --xor-mark BITS}. */
  public static MarkTarget xorMark(long bits) {
    return builder().value(bits).mask(0).build();
  }

  /** True for CONNMARK, false for MARK. */
  @Value.Default
  public boolean connection() {
    return false;
  }

  /** The mode; MARK is always {@link Mode#SET_XMARK}. */
  @Value.Default
  public Mode mode() {
    return Mode.SET_XMARK;
  }

  /** SET_XMARK: the bits to xor in after clearing {@link #mask()}. */
  @Value.Default
  public long value() {
    return 0;
  }

  /** SET_XMARK: the bits to clear first. */
  @Value.Default
  public long mask() {
    return 0xffffffffL;
  }

  /** SAVE/RESTORE: {@code --nfmask}. */
  @Value.Default
  public long nfmask() {
    return 0xffffffffL;
  }

  /** SAVE/RESTORE: {@code --ctmask}. */
  @Value.Default
  public long ctmask() {
    return 0xffffffffL;
  }

  /** Parses the options of {@code -j MARK} or (with {@code connection}) {@code -j CONNMARK}. */
  public static MarkTarget parse(boolean connection, List<String> options) {
    Builder b = builder().connection(connection);
    for (Options.Option o : Options.read(options)) {
      o.plain();
      switch (o.name()) {
        case "--set-xmark" -> {
          long[] m = Options.parseMark(o.value());
          b.value(m[0]).mask(m[1]);
        }
        case "--set-mark" -> {
          long[] m = Options.parseMark(o.value());
          b.value(m[0]).mask(m[0] | m[1]);
        }
        case "--and-mark" -> b.value(0).mask(~Options.parseU32(o.value()) & 0xffffffffL);
        case "--or-mark" -> b.value(Options.parseU32(o.value())).mask(Options.parseU32(o.value()));
        case "--xor-mark" -> b.value(Options.parseU32(o.value())).mask(0);
        case "--save-mark" -> b.mode(Mode.SAVE).values(o.values().isEmpty() ? o.values() : null);
        case "--restore-mark" -> b.mode(Mode.RESTORE).values(o.flag().values());
        case "--nfmask" -> b.nfmask(Options.parseU32(o.value()));
        case "--ctmask" -> b.ctmask(Options.parseU32(o.value()));
        case "--mask" -> b.nfmask(Options.parseU32(o.value())).ctmask(Options.parseU32(o.value()));
        default -> throw new IllegalArgumentException("unknown option " + o.name());
      }
    }
    return b.build();
  }

  @Override
  public String name() {
    return connection() ? "CONNMARK" : "MARK";
  }

  @Override
  public List<String> options() {
    return switch (mode()) {
      case SET_XMARK ->
          List.of(
              "--set-xmark", "0x" + Long.toHexString(value()) + "/0x" + Long.toHexString(mask()));
      case SAVE, RESTORE ->
          List.of(
              mode() == Mode.SAVE ? "--save-mark" : "--restore-mark",
              "--nfmask",
              "0x" + Long.toHexString(nfmask()),
              "--ctmask",
              "0x" + Long.toHexString(ctmask()));
    };
  }

  @Override
  public String describe() {
    String what = connection() ? "connection mark" : "mark";
    return switch (mode()) {
      case SET_XMARK ->
          value() == mask()
              ? "set " + what + " bits 0x" + Long.toHexString(value())
              : value() == 0 && mask() != 0
                  ? "clear " + what + " bits 0x" + Long.toHexString(mask())
                  : mask() == 0
                      ? "flip " + what + " bits 0x" + Long.toHexString(value())
                      : "set " + what + " " + Options.mark(value(), mask());
      case SAVE -> "save the packet mark to the connection";
      case RESTORE -> "restore the packet mark from the connection";
    };
  }

  @Value.Check
  void check() {
    Options.checkU32(value(), "mark");
    Options.checkU32(mask(), "mark mask");
    Options.checkU32(nfmask(), "nfmask");
    Options.checkU32(ctmask(), "ctmask");
    if (!connection() && mode() != Mode.SET_XMARK) {
      throw new IllegalArgumentException(mode() + " needs CONNMARK, not MARK");
    }
  }

  /** Builds a {@link MarkTarget}. */
  public static final class Builder extends ImmutableMarkTarget.Builder {
    Builder() {}

    Builder values(List<String> values) {
      if (values == null || !values.isEmpty()) {
        throw new IllegalArgumentException("--save-mark and --restore-mark take no value");
      }
      return this;
    }
  }
}
