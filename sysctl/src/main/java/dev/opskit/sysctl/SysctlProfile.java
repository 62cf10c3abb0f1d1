package dev.opskit.sysctl;

import dev.opskit.core.internal.OpskitStyle;
import dev.opskit.sysctl.internal.DropIns;
import dev.opskit.sysctl.internal.KernelValues;
import dev.opskit.sysctl.internal.Values;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import org.immutables.value.Value;

/**
 * A named, ordered set of kernel tunables to hold on a host, with per-key policy: {@linkplain
 * #raiseOnly() raise-only} keys are never lowered, {@linkplain #ignoreFailures() optional} keys may
 * be missing on the kernel, and {@linkplain #notes() notes} explain a key in the rendered file. It
 * renders the sysctl.d drop-in {@code NN-opskit-NAME.conf} ({@link #fileName()}), which sorts after
 * the distribution's files so that its values win at boot.
 *
 * <pre>{@code
 * SysctlProfile profile = SysctlProfile.builder()
 *     .name("ingress")
 *     .set("net.core.somaxconn", "32768")
 *     .setRaiseOnly("fs.file-max", 2097152)
 *     .build();
 * SysctlApplier.on(executor).apply(profile);
 * }</pre>
 *
 * <p>Validated at construction: the name is a file-name-safe word; every key names one tunable (no
 * glob patterns); every value is one non-empty line without control characters; well-known keys
 * hold what the kernel documents for them (for example {@code net.core.somaxconn} one integer from
 * 0 to 2147483647, {@code net.ipv4.ip_local_port_range} two ports, low before high); policy sets
 * only name keys of the profile and raise-only values are integers. Before writing, {@link
 * SysctlApplier} also refuses a value that does not have the shape of the live value (a word where
 * the kernel holds a number).
 */
@Value.Immutable
@OpskitStyle
public abstract class SysctlProfile {
  private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9_-]{0,62}");

  SysctlProfile() {}

  /** A builder; {@code name} and at least one value are required. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * The tunables of the operator's node notes plus what every Kubernetes node needs, named {@code
   * kubernetes-node}:
   *
   * <ul>
   *   <li>{@code fs.file-max = 2097152}, {@code fs.inotify.max_user_watches = 524288}, {@code
   *       fs.inotify.max_user_instances = 512}: raise-only, because many hosts already have larger
   *       values (systemd sets {@code fs.file-max = 9223372036854775807});
   *   <li>{@code net.ipv4.ip_forward = 1}: pod traffic is routed through the node;
   *   <li>{@code net.bridge.bridge-nf-call-iptables = 1} and {@code ...-ip6tables = 1}: bridged pod
   *       traffic must pass iptables (kube-proxy, network policy). These keys exist only once the
   *       {@code br_netfilter} module is loaded ({@code modprobe br_netfilter}, and list it in
   *       {@code /etc/modules-load.d/} for boot), so applying fails with that hint until it is;
   *   <li>raise-only {@code vm.max_map_count = 262144} (Elasticsearch, OpenSearch), {@code
   *       kernel.pid_max = 4194304} and {@code net.core.somaxconn = 32768};
   *   <li>optional raise-only {@code net.netfilter.nf_conntrack_max = 1048576} (present only once
   *       conntrack is loaded);
   *   <li>the kubelet's own kernel defaults ({@code vm.overcommit_memory = 1}, {@code
   *       vm.panic_on_oom = 0}, {@code kernel.panic = 10}, {@code kernel.panic_on_oops = 1}), so a
   *       kubelet run with {@code protectKernelDefaults: true} starts.
   * </ul>
   */
  public static SysctlProfile kubernetesNode() {
    String brNetfilter =
        "exists only with the br_netfilter module loaded: modprobe br_netfilter, and list it in"
            + " /etc/modules-load.d/ so it loads at boot";
    String kubelet = "kubelet default; needed when the kubelet runs with protectKernelDefaults";
    return builder()
        .name("kubernetes-node")
        .description("Kernel tunables for a Kubernetes node")
        .setRaiseOnly("fs.file-max", 2097152)
        .setRaiseOnly("fs.inotify.max_user_watches", 524288)
        .setRaiseOnly("fs.inotify.max_user_instances", 512)
        .set("net.ipv4.ip_forward", "1")
        .set("net.bridge.bridge-nf-call-iptables", "1")
        .note("net.bridge.bridge-nf-call-iptables", brNetfilter)
        .set("net.bridge.bridge-nf-call-ip6tables", "1")
        .note("net.bridge.bridge-nf-call-ip6tables", brNetfilter)
        .setRaiseOnly("vm.max_map_count", 262144)
        .setRaiseOnly("kernel.pid_max", 4194304)
        .setRaiseOnly("net.core.somaxconn", 32768)
        .setRaiseOnly("net.netfilter.nf_conntrack_max", 1048576)
        .optional("net.netfilter.nf_conntrack_max")
        .note("net.netfilter.nf_conntrack_max", "exists only once nf_conntrack is loaded")
        .set("vm.overcommit_memory", "1")
        .note("vm.overcommit_memory", kubelet)
        .set("vm.panic_on_oom", "0")
        .note("vm.panic_on_oom", kubelet)
        .set("kernel.panic", "10")
        .note("kernel.panic", kubelet)
        .set("kernel.panic_on_oops", "1")
        .note("kernel.panic_on_oops", kubelet)
        .build();
  }

  /**
   * A profile holding every assignment of a configuration file (the last one of each key wins, as
   * does an exclusion {@code -key} after an assignment of that key, which leaves the key out;
   * {@code -key = value} lines become {@linkplain #ignoreFailures() optional} keys).
   *
   * @throws IllegalArgumentException when the file holds glob keys (a profile names single keys),
   *     empty values, or no assignment at all
   */
  public static SysctlProfile fromFile(String name, SysctlFile file) {
    Builder profile = builder().name(name);
    Map<SysctlKey, SysctlEntry> kept = new java.util.LinkedHashMap<>();
    for (SysctlEntry entry : file.entries()) {
      if (entry.key().isPattern()) {
        throw new IllegalArgumentException(
            file.path()
                + entry.line().stream().mapToObj(n -> ":" + n).findFirst().orElse("")
                + ": glob key "
                + entry.key()
                + " cannot be part of a profile, which names single keys");
      }
      kept.remove(entry.key());
      if (!entry.exclusion()) {
        kept.put(entry.key(), entry);
      }
    }
    if (kept.isEmpty()) {
      throw new IllegalArgumentException(file.path() + " assigns no sysctl key");
    }
    for (SysctlEntry entry : kept.values()) {
      profile.putValues(entry.key(), entry.value());
      if (entry.ignoreFailure()) {
        profile.addIgnoreFailures(entry.key());
      }
    }
    return profile.build();
  }

  /** The profile's name, used in the drop-in's file name: lower-case letters, digits, - and _. */
  public abstract String name();

  /** An optional one-line description, written at the top of the drop-in. */
  public abstract Optional<String> description();

  /** The sort priority of the drop-in, 0 to 99; 99 (applied last, so it wins) by default. */
  @Value.Default
  public int priority() {
    return 99;
  }

  /** The desired values in the order they were added. */
  public abstract Map<SysctlKey, String> values();

  /** Keys never lowered: when the host already has a larger integer, it is kept. */
  public abstract Set<SysctlKey> raiseOnly();

  /** Keys whose failure to apply is tolerated (written with the {@code -} prefix). */
  public abstract Set<SysctlKey> ignoreFailures();

  /** Comments written above a key in the drop-in. */
  public abstract Map<SysctlKey, String> notes();

  /** The drop-in's file name: {@code NN-opskit-NAME.conf}, such as {@code 99-opskit-node.conf}. */
  public String fileName() {
    return String.format("%02d-opskit-%s.conf", priority(), name());
  }

  /** The desired value of {@code key}, if the profile sets it. */
  public Optional<String> value(SysctlKey key) {
    return Optional.ofNullable(values().get(key));
  }

  /** The drop-in's text with the desired values; what {@code sysctl -p} reads. */
  public String render() {
    return DropIns.render(this, values(), Map.of());
  }

  /** The profile as a configuration file in {@code directory}. */
  public SysctlFile toFile(String directory) {
    String dir = directory.endsWith("/") ? directory : directory + "/";
    return SysctlFile.parse(dir + fileName(), render());
  }

  @Value.Check
  void check() {
    if (!NAME.matcher(name()).matches()) {
      throw new IllegalArgumentException(
          "profile name " + Values.quote(name()) + " must match " + NAME.pattern());
    }
    if (priority() < 0 || priority() > 99) {
      throw new IllegalArgumentException(
          "profile priority must be between 0 and 99, was " + priority());
    }
    description().ifPresent(d -> Values.check("profile description", d));
    if (values().isEmpty()) {
      throw new IllegalArgumentException("profile " + name() + " must set at least one key");
    }
    values()
        .forEach(
            (key, value) -> {
              if (key.isPattern()) {
                throw new IllegalArgumentException(
                    "profile key " + key + " is a pattern; a profile names single tunables");
              }
              if (value.isEmpty()) {
                throw new IllegalArgumentException("value of " + key + " must not be empty");
              }
              Values.check("value of " + key, value);
              KernelValues.checkKnown(key, value);
            });
    for (SysctlKey key : raiseOnly()) {
      String value = values().get(key);
      if (value == null) {
        throw new IllegalArgumentException(
            "raise-only key " + key + " has no value in the profile");
      }
      if (Values.integer(value).isEmpty()) {
        throw new IllegalArgumentException(
            "raise-only key "
                + key
                + " has value "
                + Values.quote(value)
                + "; raise-only needs a single integer");
      }
    }
    for (SysctlKey key : ignoreFailures()) {
      if (!values().containsKey(key)) {
        throw new IllegalArgumentException("optional key " + key + " has no value in the profile");
      }
    }
    notes()
        .forEach(
            (key, note) -> {
              if (!values().containsKey(key)) {
                throw new IllegalArgumentException("note for " + key + " names no profile key");
              }
              Values.check("note for " + key, note);
            });
  }

  /** Builds a {@link SysctlProfile}; keys may be given in dotted or slashed form. */
  public static final class Builder extends ImmutableSysctlProfile.Builder {
    Builder() {}

    /** Sets {@code key} to {@code value}. */
    public Builder set(String key, String value) {
      putValues(SysctlKey.of(key), value);
      return this;
    }

    /** Sets {@code key} to {@code value}, never lowering a larger value found on the host. */
    public Builder setRaiseOnly(String key, long value) {
      SysctlKey parsed = SysctlKey.of(key);
      putValues(parsed, Long.toString(value));
      addRaiseOnly(parsed);
      return this;
    }

    /** Marks a key already set as optional: a failure to apply it is tolerated. */
    public Builder optional(String key) {
      addIgnoreFailures(SysctlKey.of(key));
      return this;
    }

    /** Adds a comment line written above {@code key} in the drop-in. */
    public Builder note(String key, String note) {
      putNotes(SysctlKey.of(key), note);
      return this;
    }
  }
}
