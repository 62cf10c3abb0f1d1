package dev.opskit.iptables;

import dev.opskit.core.internal.OpskitStyle;
import dev.opskit.iptables.internal.Options;
import java.util.List;
import org.immutables.value.Value;

/**
 * {@code -m nfacct --nfacct-name NAME}: counts the packet in an extended accounting object (always
 * matches); kube-proxy uses it for metrics.
 */
@Value.Immutable
@OpskitStyle
public abstract class NfacctMatch implements MatchExtension {
  NfacctMatch() {}

  /** {@code --nfacct-name NAME}. */
  public static NfacctMatch of(String name) {
    return ImmutableNfacctMatch.builder().name(name).build();
  }

  /** The accounting object's name. */
  public abstract String name();

  /** Parses the options of {@code -m nfacct}. */
  public static NfacctMatch parse(List<String> options) {
    List<Options.Option> read = Options.read(options);
    if (read.size() != 1 || !read.get(0).name().equals("--nfacct-name")) {
      throw new IllegalArgumentException("nfacct takes one --nfacct-name, got " + options);
    }
    return of(read.get(0).plain().value());
  }

  @Override
  public String module() {
    return "nfacct";
  }

  @Override
  public List<String> options() {
    return List.of("--nfacct-name", name());
  }

  @Override
  public String describe() {
    return "counted in " + name();
  }

  @Value.Check
  void check() {
    if (!name().matches("[A-Za-z0-9_.:-]{1,31}")) {
      throw new IllegalArgumentException(
          "nfacct name '" + name() + "' must be 1-31 letters, digits, _ . : or -");
    }
  }
}
