package dev.opskit.sysctl;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Classifies sysctls the way the kubelet does, and renders the pod-side settings.
 *
 * <ul>
 *   <li>{@linkplain KubernetesSysctlScope#POD_SAFE Pod-safe}: the kubelet's safe list, {@code
 *       kernel.shm_rmid_forced}, {@code net.ipv4.ip_local_port_range}, {@code
 *       net.ipv4.tcp_syncookies}, {@code net.ipv4.ping_group_range}, {@code
 *       net.ipv4.ip_unprivileged_port_start}, {@code net.ipv4.ip_local_reserved_ports} (kernel
 *       3.16+), {@code net.ipv4.tcp_keepalive_time}, {@code net.ipv4.tcp_keepalive_intvl}, {@code
 *       net.ipv4.tcp_keepalive_probes} (4.5+), {@code net.ipv4.tcp_fin_timeout} (4.6+), {@code
 *       net.ipv4.tcp_rmem} and {@code net.ipv4.tcp_wmem} (4.15+). Newer entries are known only to
 *       newer kubelets; older ones treat them as unsafe.
 *   <li>{@linkplain KubernetesSysctlScope#NAMESPACED_UNSAFE Namespaced-unsafe}: other keys the
 *       kubelet considers namespaced, {@code kernel.shm*}, {@code kernel.msg*}, {@code kernel.sem},
 *       {@code fs.mqueue.*} (IPC namespace) and {@code net.*} (network namespace). Some {@code
 *       net.*} keys are in fact global or read-only inside a pod on some kernels (such as {@code
 *       net.core.rmem_max}); check on your kernel.
 *   <li>{@linkplain KubernetesSysctlScope#NODE_LEVEL Node-level}: everything else, such as {@code
 *       fs.file-max}, {@code fs.inotify.*}, {@code vm.*}.
 * </ul>
 *
 * <pre>{@code
 * KubernetesSysctls.classify(SysctlKey.of("fs.file-max")).scope();   // NODE_LEVEL
 * String yaml = KubernetesSysctls.podSecurityContext(profile);
 * }</pre>
 */
public final class KubernetesSysctls {
  private static final Map<String, String> SAFE = new LinkedHashMap<>();

  static {
    SAFE.put("kernel.shm_rmid_forced", "");
    SAFE.put("net.ipv4.ip_local_port_range", "");
    SAFE.put("net.ipv4.tcp_syncookies", "");
    SAFE.put("net.ipv4.ping_group_range", "");
    SAFE.put("net.ipv4.ip_unprivileged_port_start", "");
    SAFE.put("net.ipv4.ip_local_reserved_ports", "3.16");
    SAFE.put("net.ipv4.tcp_keepalive_time", "4.5");
    SAFE.put("net.ipv4.tcp_fin_timeout", "4.6");
    SAFE.put("net.ipv4.tcp_keepalive_intvl", "4.5");
    SAFE.put("net.ipv4.tcp_keepalive_probes", "4.5");
    SAFE.put("net.ipv4.tcp_rmem", "4.15");
    SAFE.put("net.ipv4.tcp_wmem", "4.15");
  }

  private static final Pattern VERSION = Pattern.compile("(\\d+)(?:\\.(\\d+))?(?:\\.(\\d+))?.*");

  private KubernetesSysctls() {}

  /** The kubelet's pod-safe keys, in its order. */
  public static List<SysctlKey> podSafeKeys() {
    List<SysctlKey> keys = new ArrayList<>();
    SAFE.keySet().forEach(name -> keys.add(SysctlKey.of(name)));
    return List.copyOf(keys);
  }

  /** Classifies {@code key} for any kernel recent enough for the whole safe list. */
  public static KubernetesSysctl classify(SysctlKey key) {
    String name = key.name();
    String minimum = SAFE.get(name);
    KubernetesSysctl.Builder result = KubernetesSysctl.builder().key(key);
    if (minimum != null) {
      if (!minimum.isEmpty()) {
        result.minimumKernel(minimum);
      }
      String note =
          minimum.isEmpty()
              ? "pod-safe: allowed in any pod's securityContext.sysctls"
              : "pod-safe on kernel " + minimum + " or later (namespaced from then on)";
      if (name.equals("net.ipv4.tcp_syncookies")) {
        note += "; not namespaced on kernel 4.4 and older";
      }
      return result.scope(KubernetesSysctlScope.POD_SAFE).note(note).build();
    }
    if (isNamespaced(name)) {
      return result
          .scope(KubernetesSysctlScope.NAMESPACED_UNSAFE)
          .note(
              "namespaced but unsafe: pods may set it only where the kubelet runs with"
                  + " --allowed-unsafe-sysctls="
                  + name)
          .build();
    }
    return result
        .scope(KubernetesSysctlScope.NODE_LEVEL)
        .note("node-level: one value for the whole host; set it on the node, not in a pod")
        .build();
  }

  /**
   * Classifies {@code key} for a node running {@code kernelRelease} (as {@code uname -r} prints
   * it): a safe-listed key whose minimum kernel is newer is namespaced-unsafe there, as the kubelet
   * drops it from its safe list.
   *
   * @throws IllegalArgumentException when the release does not start with a version number
   */
  public static KubernetesSysctl classify(SysctlKey key, String kernelRelease) {
    int[] release = version(kernelRelease);
    KubernetesSysctl general = classify(key);
    Optional<String> minimum = general.minimumKernel();
    if (minimum.isPresent() && compare(release, version(minimum.get())) < 0) {
      return KubernetesSysctl.builder()
          .from(general)
          .scope(KubernetesSysctlScope.NAMESPACED_UNSAFE)
          .note(
              "not pod-safe on kernel "
                  + kernelRelease
                  + ": the kubelet lists it as safe from kernel "
                  + minimum.get())
          .build();
    }
    return general;
  }

  /** Classifies every key of {@code profile}, in profile order. */
  public static List<KubernetesSysctl> classify(SysctlProfile profile) {
    List<KubernetesSysctl> all = new ArrayList<>();
    profile.values().keySet().forEach(key -> all.add(classify(key)));
    return List.copyOf(all);
  }

  /**
   * A Pod {@code securityContext} YAML snippet setting the profile's pod-safe keys; the other keys
   * are listed in comments with the reason they are left out.
   */
  public static String podSecurityContext(SysctlProfile profile) {
    return podSecurityContext(profile, false);
  }

  /**
   * A Pod {@code securityContext} YAML snippet with the profile's pod-safe keys and, if {@code
   * includeNamespacedUnsafe}, its namespaced-unsafe keys too (such a pod runs only on nodes whose
   * kubelet allows them). Node-level keys are never included.
   *
   * <pre>{@code
   * securityContext:
   *   sysctls:
   *   - name: net.ipv4.ip_local_port_range
   *     value: "1024 65535"
   * }</pre>
   */
  public static String podSecurityContext(SysctlProfile profile, boolean includeNamespacedUnsafe) {
    StringBuilder items = new StringBuilder();
    StringBuilder comments = new StringBuilder();
    for (Map.Entry<SysctlKey, String> entry : profile.values().entrySet()) {
      KubernetesSysctl kind = classify(entry.getKey());
      boolean include =
          kind.scope() == KubernetesSysctlScope.POD_SAFE
              || (includeNamespacedUnsafe
                  && kind.scope() == KubernetesSysctlScope.NAMESPACED_UNSAFE);
      if (include) {
        if (kind.scope() == KubernetesSysctlScope.NAMESPACED_UNSAFE) {
          items
              .append("  # needs kubelet --allowed-unsafe-sysctls=")
              .append(kind.key())
              .append('\n');
        }
        items
            .append("  - name: ")
            .append(kind.key().name())
            .append("\n    value: ")
            .append(quote(entry.getValue()))
            .append('\n');
      } else {
        comments
            .append("# left out ")
            .append(kind.key().name())
            .append(": ")
            .append(kind.note())
            .append('\n');
      }
    }
    String sysctls = items.length() == 0 ? "  sysctls: []\n" : "  sysctls:\n" + items;
    return comments + "securityContext:\n" + sysctls;
  }

  private static String quote(String value) {
    return "\"" + value.replace("\\", "\\\\").replace("\"", "\\\"").replace("\t", "\\t") + "\"";
  }

  private static boolean isNamespaced(String name) {
    return name.equals("kernel.sem")
        || name.startsWith("kernel.shm")
        || name.startsWith("kernel.msg")
        || name.startsWith("fs.mqueue.")
        || name.startsWith("net.");
  }

  private static int[] version(String release) {
    Matcher m = VERSION.matcher(release == null ? "" : release.strip());
    if (!m.matches()) {
      throw new IllegalArgumentException(
          "kernel release '" + release + "' must start with a version such as 5.15");
    }
    int[] parts = new int[3];
    for (int i = 0; i < 3; i++) {
      parts[i] = m.group(i + 1) == null ? 0 : Integer.parseInt(m.group(i + 1));
    }
    return parts;
  }

  private static int compare(int[] a, int[] b) {
    for (int i = 0; i < 3; i++) {
      if (a[i] != b[i]) {
        return Integer.compare(a[i], b[i]);
      }
    }
    return 0;
  }
}
