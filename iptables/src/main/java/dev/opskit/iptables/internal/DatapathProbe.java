package dev.opskit.iptables.internal;

import dev.opskit.core.CommandExecutor;
import dev.opskit.core.ExecResult;
import dev.opskit.iptables.Datapath;
import dev.opskit.iptables.DatapathDetector;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * Reads a node's NodePort datapath in one batched call and decides its kind. Each read that fails
 * (program or folder missing) is no evidence; the decision prefers an eBPF datapath, since it
 * translates NodePorts before any netfilter hook and so before kube-proxy's rules matter.
 */
public final class DatapathProbe implements DatapathDetector {
  static final List<String> INTERFACES = List.of("ls", "/sys/class/net");
  static final List<String> BPF_GLOBALS = List.of("ls", "/sys/fs/bpf/tc/globals");
  static final List<String> NFT_TABLES = List.of("nft", "list", "tables");
  static final List<String> NAT_V4 = List.of("iptables-save", "-t", "nat");
  static final List<String> NAT_V6 = List.of("ip6tables-save", "-t", "nat");

  /** Prints {@code FELIX_BPFENABLED=…} of each running Felix (calico-node), where readable. */
  public static final List<String> FELIX_ENV =
      List.of(
          "sh",
          "-c",
          String.join(
              "\n",
              "for d in /proc/[0-9]*; do",
              "  IFS= read -r c 2>/dev/null <\"$d/comm\" || continue",
              "  case $c in",
              "    calico-node|calico-felix)",
              "      tr '\\0' '\\n' 2>/dev/null <\"$d/environ\" | grep '^FELIX_BPFENABLED=' ;;",
              "  esac",
              "done | sort -u",
              "exit 0"));

  private static final Set<String> CILIUM_INTERFACES =
      Set.of("cilium_host", "cilium_net", "cilium_vxlan", "cilium_geneve", "cilium_wg0");
  private static final Set<String> CALICO_BPF_INTERFACES =
      Set.of("bpfin.cali", "bpfout.cali", "bpfnatin", "bpfnatout");
  private static final Duration TIMEOUT = Duration.ofSeconds(60);

  private final CommandExecutor executor;
  private final String stateDirectory;
  private final Duration lockWait;

  /**
   * A probe reading the node through {@code executor}, in a batch that takes the host's opskit lock
   * in {@code stateDirectory} (waiting at most {@code lockWait}) like every other batch.
   */
  public DatapathProbe(CommandExecutor executor, String stateDirectory, Duration lockWait) {
    this.executor = Objects.requireNonNull(executor, "executor");
    this.stateDirectory = ShellBatch.checkDirectory(stateDirectory);
    this.lockWait = Objects.requireNonNull(lockWait, "lockWait");
  }

  @Override
  public Datapath detect() throws IOException, InterruptedException {
    ShellBatch batch = ShellBatch.create(stateDirectory, lockWait);
    for (List<String> read : List.of(INTERFACES, BPF_GLOBALS, NFT_TABLES, NAT_V4, NAT_V6)) {
      batch.read(read);
    }
    batch.read(FELIX_ENV);
    ExecResult ran = executor.execute(batch.command().withTimeout(TIMEOUT));
    Map<List<String>, ExecResult> reads = new HashMap<>();
    batch.results(ran).steps().forEach(r -> reads.put(r.command().argv(), r));
    return decide(reads);
  }

  private static Datapath decide(Map<List<String>, ExecResult> reads) {
    List<String> evidence = new ArrayList<>();
    Set<String> interfaces = words(reads.get(INTERFACES));
    Set<String> maps = words(reads.get(BPF_GLOBALS));

    Set<String> ciliumSeen = new TreeSet<>();
    interfaces.stream().filter(CILIUM_INTERFACES::contains).forEach(ciliumSeen::add);
    boolean ciliumMaps = maps.stream().anyMatch(m -> m.startsWith("cilium_"));
    boolean cilium = !ciliumSeen.isEmpty() || ciliumMaps;
    if (!ciliumSeen.isEmpty()) {
      evidence.add("interface " + String.join(", ", ciliumSeen));
    }
    if (ciliumMaps) {
      evidence.add("pinned BPF maps /sys/fs/bpf/tc/globals/cilium_*");
    }

    Set<String> calicoSeen = new TreeSet<>();
    interfaces.stream().filter(CALICO_BPF_INTERFACES::contains).forEach(calicoSeen::add);
    boolean calicoMaps = maps.stream().anyMatch(m -> m.startsWith("cali_"));
    if (!calicoSeen.isEmpty()) {
      evidence.add("interface " + String.join(", ", calicoSeen));
    }
    if (calicoMaps) {
      evidence.add("pinned BPF maps /sys/fs/bpf/tc/globals/cali_*");
    }
    Boolean felixBpf = null;
    for (String line : lines(reads.get(FELIX_ENV))) {
      String value = line.substring(line.indexOf('=') + 1).strip();
      felixBpf = Boolean.TRUE.equals(felixBpf) || value.equalsIgnoreCase("true");
      evidence.add("Felix " + line.strip());
    }
    boolean calicoBpf = felixBpf != null ? felixBpf : !calicoSeen.isEmpty() || calicoMaps;

    boolean nftables = false;
    for (String line : lines(reads.get(NFT_TABLES))) {
      String table = line.strip();
      if (table.equals("table ip kube-proxy") || table.equals("table ip6 kube-proxy")) {
        nftables = true;
        evidence.add("nft " + table);
      }
    }
    boolean ipvs = interfaces.contains("kube-ipvs0");
    if (ipvs) {
      evidence.add("interface kube-ipvs0");
    }
    boolean iptables = false;
    for (List<String> save : List.of(NAT_V4, NAT_V6)) {
      Set<String> chains = new TreeSet<>();
      for (String line : lines(reads.get(save))) {
        if (line.startsWith(":KUBE-SERVICES ") || line.startsWith(":KUBE-NODEPORTS ")) {
          chains.add(line.substring(1, line.indexOf(' ')));
        }
      }
      if (!chains.isEmpty()) {
        iptables = true;
        evidence.add(save.get(0) + " nat chains " + String.join(", ", chains));
      }
    }
    boolean kubeProxy = nftables || ipvs || iptables;

    Datapath.Kind kind;
    if (calicoBpf) {
      kind = Datapath.Kind.CALICO_EBPF;
    } else if (cilium && !kubeProxy) {
      kind = Datapath.Kind.CILIUM_EBPF;
    } else if (nftables) {
      kind = Datapath.Kind.KUBE_PROXY_NFTABLES;
    } else if (ipvs) {
      kind = Datapath.Kind.KUBE_PROXY_IPVS;
    } else if (iptables) {
      kind = Datapath.Kind.KUBE_PROXY_IPTABLES;
    } else {
      kind = Datapath.Kind.NONE;
    }
    if (cilium && kind != Datapath.Kind.CILIUM_EBPF) {
      evidence.add("Cilium runs beside kube-proxy, so its kube-proxy replacement is taken as off");
    }
    return Datapath.builder().kind(kind).addAllEvidence(evidence).build();
  }

  private static List<String> lines(ExecResult read) {
    if (read == null || !read.isSuccess()) {
      return List.of();
    }
    return read.stdoutUtf8().lines().filter(l -> !l.isBlank()).toList();
  }

  private static Set<String> words(ExecResult read) {
    Set<String> words = new TreeSet<>();
    for (String line : lines(read)) {
      for (String word : line.strip().split("\\s+")) {
        words.add(word);
      }
    }
    return words;
  }
}
