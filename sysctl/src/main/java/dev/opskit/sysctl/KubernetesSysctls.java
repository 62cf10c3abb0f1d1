package dev.opskit.sysctl;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Classifies sysctls the way the kubelet does, and renders the pod-side settings. By default the
 * answers follow the newest kubelet this SDK knows (v1.37); {@link #classify(SysctlKey, String,
 * String)} answers for a given kubelet and kernel.
 *
 * <ul>
 *   <li>{@linkplain KubernetesSysctlScope#POD_SAFE Pod-safe}: the kubelet's safe list, {@code
 *       kernel.shm_rmid_forced}, {@code net.ipv4.ip_local_port_range}, {@code
 *       net.ipv4.tcp_syncookies}, {@code net.ipv4.ping_group_range} (kubelet 1.18+), {@code
 *       net.ipv4.ip_unprivileged_port_start} (1.22+), {@code net.ipv4.tcp_keepalive_time}, {@code
 *       net.ipv4.tcp_keepalive_intvl}, {@code net.ipv4.tcp_keepalive_probes} and {@code
 *       net.ipv4.tcp_fin_timeout} (1.29+; safe on any kernel for the newest kubelet, while older
 *       kubelets want kernel 4.5, 4.6 for {@code tcp_fin_timeout}), and, where the kernel is recent
 *       enough, {@code net.ipv4.ip_local_reserved_ports} (1.27+, kernel 3.16+), {@code
 *       net.ipv4.tcp_rmem} and {@code net.ipv4.tcp_wmem} (1.32+, kernel 4.15+), {@code
 *       net.ipv4.tcp_slow_start_after_idle} (1.37+, kernel 4.15+) and {@code
 *       net.ipv4.tcp_notsent_lowat} (1.37+, kernel 4.6+). A key a kubelet or kernel is too old for
 *       is namespaced-unsafe there.
 *   <li>{@linkplain KubernetesSysctlScope#NAMESPACED_UNSAFE Namespaced-unsafe}: other keys the
 *       kubelet considers namespaced: the IPC keys by exact name ({@code kernel.sem}, {@code
 *       kernel.shmall}, {@code kernel.shmmax}, {@code kernel.shmmni}, {@code kernel.msgmax}, {@code
 *       kernel.msgmnb}, {@code kernel.msgmni}, and the legacy names {@code kernel.shm} and {@code
 *       kernel.msg}), everything under {@code fs.mqueue.} (IPC namespace) and under {@code net.}
 *       (network namespace). Some {@code net.*} keys are in fact global or read-only inside a pod
 *       on some kernels; check on your kernel.
 *   <li>{@linkplain KubernetesSysctlScope#NODE_LEVEL Node-level}: everything else, such as {@code
 *       fs.file-max}, {@code fs.inotify.*}, {@code vm.*}, and {@code kernel.shm_next_id} (not a
 *       name the kubelet knows, so it refuses it in {@code --allowed-unsafe-sysctls}).
 * </ul>
 *
 * <pre>{@code
 * KubernetesSysctls.classify(SysctlKey.of("fs.file-max")).scope();   // NODE_LEVEL
 * KubernetesSysctls.classify(SysctlKey.of("net.ipv4.tcp_notsent_lowat"), "v1.36.2", "6.8.0")
 *     .scope();                                                          // NAMESPACED_UNSAFE
 * String yaml = KubernetesSysctls.podSecurityContext(profile);
 * }</pre>
 */
public final class KubernetesSysctls {
  /** The newest kubelet whose safe list this class knows. */
  public static final String NEWEST_KUBELET = "1.37";

  /** Safe keys: the kubelet version that lists them and the kernel they need ("" = any). */
  private static final Map<String, String[]> SAFE = new LinkedHashMap<>();

  /** Kernels older kubelets (before the newest) wanted for keys the newest takes on any kernel. */
  private static final Map<String, String> OLD_KERNEL_GATE = new HashMap<>();

  private static final Set<String> IPC_NAMES =
      Set.of(
          "kernel.sem",
          "kernel.shmall",
          "kernel.shmmax",
          "kernel.shmmni",
          "kernel.shm_rmid_forced",
          "kernel.shm",
          "kernel.msgmax",
          "kernel.msgmnb",
          "kernel.msgmni",
          "kernel.msg");

  static {
    safe("kernel.shm_rmid_forced", "1.4", "");
    safe("net.ipv4.ip_local_port_range", "1.4", "");
    safe("net.ipv4.tcp_syncookies", "1.4", "");
    safe("net.ipv4.ping_group_range", "1.18", "");
    safe("net.ipv4.ip_unprivileged_port_start", "1.22", "");
    safe("net.ipv4.tcp_keepalive_time", "1.29", "");
    safe("net.ipv4.tcp_fin_timeout", "1.29", "");
    safe("net.ipv4.tcp_keepalive_intvl", "1.29", "");
    safe("net.ipv4.tcp_keepalive_probes", "1.29", "");
    safe("net.ipv4.ip_local_reserved_ports", "1.27", "3.16");
    safe("net.ipv4.tcp_rmem", "1.32", "4.15");
    safe("net.ipv4.tcp_wmem", "1.32", "4.15");
    safe("net.ipv4.tcp_slow_start_after_idle", "1.37", "4.15");
    safe("net.ipv4.tcp_notsent_lowat", "1.37", "4.6");
    OLD_KERNEL_GATE.put("net.ipv4.tcp_keepalive_time", "4.5");
    OLD_KERNEL_GATE.put("net.ipv4.tcp_keepalive_intvl", "4.5");
    OLD_KERNEL_GATE.put("net.ipv4.tcp_keepalive_probes", "4.5");
    OLD_KERNEL_GATE.put("net.ipv4.tcp_fin_timeout", "4.6");
  }

  private static final Pattern VERSION = Pattern.compile("v?(\\d+)(?:\\.(\\d+))?(?:\\.(\\d+))?.*");

  private KubernetesSysctls() {}

  private static void safe(String name, String kubelet, String kernel) {
    SAFE.put(name, new String[] {kubelet, kernel});
  }

  /** The newest kubelet's pod-safe keys, in its order. */
  public static List<SysctlKey> podSafeKeys() {
    List<SysctlKey> keys = new ArrayList<>();
    SAFE.keySet().forEach(name -> keys.add(SysctlKey.of(name)));
    return List.copyOf(keys);
  }

  /**
   * Classifies {@code key} for the newest kubelet on a kernel recent enough for its whole safe list
   * ({@link KubernetesSysctl#minimumKernel()} says what a key needs).
   */
  public static KubernetesSysctl classify(SysctlKey key) {
    return classify(key, NEWEST_KUBELET, null);
  }

  /**
   * Classifies {@code key} for the newest kubelet on a node running {@code kernelRelease} (as
   * {@code uname -r} prints it): a safe-listed key whose minimum kernel is newer is
   * namespaced-unsafe there, as the kubelet drops it from its safe list.
   *
   * @throws IllegalArgumentException when the release does not start with a version number
   */
  public static KubernetesSysctl classify(SysctlKey key, String kernelRelease) {
    return classify(key, NEWEST_KUBELET, Objects.requireNonNull(kernelRelease, "kernelRelease"));
  }

  /**
   * Classifies {@code key} for a kubelet of version {@code kubeletVersion} ({@code v1.36.2} or
   * {@code 1.36}) on a node running {@code kernelRelease}. Either may be {@code null}: the kubelet
   * then defaults to the {@linkplain #NEWEST_KUBELET newest}, and an unknown kernel counts as
   * recent enough (the key's {@link KubernetesSysctl#minimumKernel()} says what it needs).
   *
   * @throws IllegalArgumentException when a version does not start with a number
   */
  public static KubernetesSysctl classify(
      SysctlKey key, String kubeletVersion, String kernelRelease) {
    String name = key.name();
    int[] kubelet =
        version("kubelet version", kubeletVersion == null ? NEWEST_KUBELET : kubeletVersion);
    int[] kernel = kernelRelease == null ? null : version("kernel release", kernelRelease);
    boolean newest = compare(kubelet, version("", NEWEST_KUBELET)) >= 0;
    KubernetesSysctl.Builder result = KubernetesSysctl.builder().key(key);
    String[] safe = SAFE.get(name);
    if (safe != null) {
      String minimum =
          safe[1].isEmpty() && !newest ? OLD_KERNEL_GATE.getOrDefault(name, "") : safe[1];
      boolean kubeletKnows = compare(kubelet, version("", safe[0])) >= 0;
      boolean kernelOk =
          minimum.isEmpty() || kernel == null || compare(kernel, version("", minimum)) >= 0;
      if (kubeletKnows && kernelOk) {
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
      if (!minimum.isEmpty()) {
        result.minimumKernel(minimum);
      }
      return result
          .scope(KubernetesSysctlScope.NAMESPACED_UNSAFE)
          .note(
              kubeletKnows
                  ? "not pod-safe on kernel "
                      + kernelRelease
                      + ": the kubelet lists it as safe from kernel "
                      + minimum
                  : "not pod-safe for kubelet "
                      + kubeletVersion
                      + ": the kubelet lists it as safe from v"
                      + safe[0]
                      + "; until then pods may set it only with --allowed-unsafe-sysctls="
                      + name)
          .build();
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
    return IPC_NAMES.contains(name) || name.startsWith("fs.mqueue.") || name.startsWith("net.");
  }

  private static int[] version(String what, String release) {
    Matcher m = VERSION.matcher(release.strip());
    if (!m.matches()) {
      throw new IllegalArgumentException(
          what + " '" + release + "' must start with a version such as 5.15");
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
