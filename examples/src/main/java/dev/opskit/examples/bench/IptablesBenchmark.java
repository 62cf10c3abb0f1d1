package dev.opskit.examples.bench;

import dev.opskit.core.Command;
import dev.opskit.core.CommandExecutor;
import dev.opskit.iptables.IpFamily;
import dev.opskit.iptables.IptablesApplier;
import dev.opskit.iptables.IptablesApplyResult;
import dev.opskit.iptables.IptablesBackend;
import dev.opskit.iptables.NodePortAllowlist;
import dev.opskit.iptables.PortRange;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Applies a NodePort allowlist of 10,000 CIDRs inside fresh network namespaces: opskit (read the
 * state, plan, one {@code iptables-restore --noflush}, with and without the read-back that verifies
 * the result), the seed notes' loop of one {@code iptables -A} per address, and a raw {@code
 * iptables-restore} of the same rules, timed alone and followed by one {@code iptables-save}; then
 * the ipset-backed allowlist, opskit with and without read-back against a raw {@code ipset restore}
 * plus {@code iptables-restore} of the same input, alone and followed by {@code iptables-save} and
 * {@code ipset save}. Goals, on equal work: the verified apply within 1.15x of the raw restore plus
 * one save (what a careful operator does by hand), the apply without read-back within 1.25x of the
 * raw restore alone, 50x faster than the loop. It also times the ways to read back the owned table
 * ({@code iptables-save}, {@code iptables-save -t raw}, {@code iptables -t raw -S} as opskit's
 * read-back does, {@code iptables -t raw -S CHAIN}), alone and beside 10,000 foreign nat rules as
 * kube-proxy keeps them.
 *
 * <p>Raw and opskit applies run alternately, each in a fresh namespace after the kernel has settled
 * from deleting the previous one; each ratio is the median of the ratios of adjacent runs, so that
 * drifting load on a shared machine hits both sides alike; untimed applies warm the JVM first, as
 * in a controller that applies often (the first apply in a fresh JVM is reported on its own). Run
 * as root: {@code java -cp opskit.jar dev.opskit.examples.bench.IptablesBenchmark [count [runs
 * [--no-loop] [--legacy]]]}; {@code --legacy} runs every way with the legacy backend's programs.
 */
public final class IptablesBenchmark {
  private static final int WARMUP_RUNS = 10;
  private static final long SETTLE_MILLIS = 200;

  /** The backend every way uses: nft unless {@code --legacy} is given. */
  private static IptablesBackend backend = IptablesBackend.NFT;

  /** The applier's lock and journal directory: a fresh temporary one, not the host's. */
  private static final Path STATE = stateDirectory();

  private IptablesBenchmark() {}

  private static Path stateDirectory() {
    try {
      Path directory = Files.createTempDirectory("opskit-bench-state");
      directory.toFile().deleteOnExit();
      return directory;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Entry point; the optional arguments are the number of CIDRs (10,000 by default), the number of
   * timed runs of each way (15), {@code --no-loop} to skip the slow loop of single commands and
   * {@code --legacy} for the legacy backend.
   */
  public static void main(String[] args) throws Exception {
    int count = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
    int runs = args.length > 1 ? Integer.parseInt(args[1]) : 15;
    List<String> flags = args.length > 2 ? List.of(args).subList(2, args.length) : List.of();
    boolean withLoop = !flags.contains("--no-loop");
    if (flags.contains("--legacy")) {
      backend = IptablesBackend.LEGACY;
    }
    List<String> cidrs = cidrs(count);
    NodePortAllowlist rules = allowlist(cidrs, false);
    NodePortAllowlist ipset = allowlist(cidrs, true);
    System.out.printf(
        Locale.ROOT, "allowlist of %,d CIDRs, raw PREROUTING, IPv4, %s%n", count, backend);

    double cold = opskitApply(rules, true);
    // untimed warm-up of every way, so that the timed runs measure a warm JVM, as in a controller
    // that applies often; the first apply in a fresh JVM is reported on its own
    for (int i = 0; i < WARMUP_RUNS; i++) {
      opskitApply(rules, true);
      opskitApply(rules, false);
      opskitApply(ipset, true);
      opskitApply(ipset, false);
    }
    List<Double> raws = new ArrayList<>();
    List<Double> rawSaves = new ArrayList<>();
    List<Double> applies = new ArrayList<>();
    List<Double> unverifiedApplies = new ArrayList<>();
    for (int i = 0; i < runs; i++) {
      double[] rawRun = rawRestore(rules);
      raws.add(rawRun[0]);
      rawSaves.add(rawRun[1]);
      applies.add(opskitApply(rules, true));
      unverifiedApplies.add(opskitApply(rules, false));
    }
    double raw = median(raws);
    double opskit = median(applies);
    double unverified = median(unverifiedApplies);
    double noop = median(runs, () -> opskitReapply(rules));
    double loop = withLoop ? loop(rules) : Double.NaN;
    List<Double> rawIpsets = new ArrayList<>();
    List<Double> rawIpsetSaves = new ArrayList<>();
    List<Double> opskitIpsets = new ArrayList<>();
    List<Double> unverifiedIpsets = new ArrayList<>();
    for (int i = 0; i < runs; i++) {
      double[] rawRun = rawIpsetRestore(ipset);
      rawIpsets.add(rawRun[0]);
      rawIpsetSaves.add(rawRun[1]);
      opskitIpsets.add(opskitApply(ipset, true));
      unverifiedIpsets.add(opskitApply(ipset, false));
    }
    double rawIpset = median(rawIpsets);
    double opskitIpset = median(opskitIpsets);
    double unverifiedIpset = median(unverifiedIpsets);
    System.out.printf(Locale.ROOT, "raw restore runs:   %s%n", rounded(raws));
    System.out.printf(Locale.ROOT, "raw + save runs:    %s%n", rounded(rawSaves));
    System.out.printf(Locale.ROOT, "opskit apply runs:  %s%n", rounded(applies));
    System.out.printf(Locale.ROOT, "unverified runs:    %s%n", rounded(unverifiedApplies));
    System.out.printf(Locale.ROOT, "raw ipset runs:     %s%n", rounded(rawIpsets));
    System.out.printf(Locale.ROOT, "raw ipset + saves:  %s%n", rounded(rawIpsetSaves));
    System.out.printf(Locale.ROOT, "ipset apply runs:   %s%n", rounded(opskitIpsets));
    System.out.printf(Locale.ROOT, "ipset unverified:   %s%n", rounded(unverifiedIpsets));

    System.out.printf(Locale.ROOT, "raw iptables-restore --noflush:     %8.1f ms%n", raw);
    System.out.printf(
        Locale.ROOT,
        "opskit apply, no read-back:         %8.1f ms  = %.2fx raw restore%n",
        unverified,
        pairedRatio(unverifiedApplies, raws));
    System.out.printf(
        Locale.ROOT, "raw restore + iptables-save:        %8.1f ms%n", median(rawSaves));
    System.out.printf(
        Locale.ROOT,
        "opskit apply, read back (default):  %8.1f ms  = %.2fx raw restore + save (goal 1.15x),"
            + " %.2fx raw restore%n",
        opskit,
        pairedRatio(applies, rawSaves),
        pairedRatio(applies, raws));
    System.out.printf(Locale.ROOT, "opskit apply, first in this JVM:    %8.1f ms%n", cold);
    System.out.printf(Locale.ROOT, "opskit re-apply (no-op):            %8.1f ms%n", noop);
    if (withLoop) {
      System.out.printf(
          Locale.ROOT,
          "loop of iptables -A:                %8.1f ms  = opskit is %.0fx faster%n",
          loop,
          loop / opskit);
    }
    System.out.printf(Locale.ROOT, "raw ipset restore + 2 rules:        %8.1f ms%n", rawIpset);
    System.out.printf(
        Locale.ROOT, "  + iptables-save + ipset save:     %8.1f ms%n", median(rawIpsetSaves));
    System.out.printf(
        Locale.ROOT,
        "opskit ipset apply, no read-back:   %8.1f ms  = %.2fx raw%n",
        unverifiedIpset,
        pairedRatio(unverifiedIpsets, rawIpsets));
    System.out.printf(
        Locale.ROOT,
        "opskit ipset apply, read back:      %8.1f ms  = %.2fx raw + saves (goal 1.15x)%n",
        opskitIpset,
        pairedRatio(opskitIpsets, rawIpsetSaves));
    readBacks(rules, runs);
  }

  /**
   * Times the ways to read back a table holding the allowlist's 10,000 rules, alternating: a full
   * {@code iptables-save}, {@code iptables-save -t raw}, {@code iptables -t raw -S} (the owned
   * table, as opskit reads back) and {@code iptables -t raw -S CHAIN} (only the owned chain); then
   * the same beside 10,000 foreign nat rules, as kube-proxy keeps on a node.
   */
  private static void readBacks(NodePortAllowlist list, int runs) throws Exception {
    String iptables = program("");
    List<List<String>> ways =
        List.of(
            List.of(program("-save")),
            List.of(program("-save"), "-t", "raw"),
            List.of(iptables, "-w", "-t", "raw", "-S"),
            List.of(iptables, "-w", "-t", "raw", "-S", list.chainName()));
    try (IptablesBenchNetwork net = new IptablesBenchNetwork()) {
      CommandExecutor node = net.executor(net.namespace("node"));
      restore(node, list.ruleSet(IpFamily.IPV4).render());
      settle();
      timeReadBacks(node, ways, runs, "");
      StringBuilder nat = new StringBuilder("*nat\n:KUBE-SERVICES - [0:0]\n");
      nat.append("-A PREROUTING -j KUBE-SERVICES\n");
      for (int i = 0; i < 10_000; i++) {
        nat.append("-A KUBE-SERVICES -d 10.96.")
            .append(i / 250)
            .append('.')
            .append(i % 250 + 1)
            .append("/32 -p tcp -m comment --comment \"ns/svc-")
            .append(i)
            .append("\" -m tcp --dport 80 -j DNAT --to-destination 10.244.0.")
            .append(i % 250 + 1)
            .append(":8080\n");
      }
      restore(node, nat.append("COMMIT\n").toString());
      settle();
      timeReadBacks(node, ways, runs, ", 10,000 nat rules beside");
    }
  }

  private static void timeReadBacks(
      CommandExecutor node, List<List<String>> ways, int runs, String label) throws Exception {
    List<List<Double>> times = new ArrayList<>();
    ways.forEach(w -> times.add(new ArrayList<>()));
    for (int i = 0; i < runs; i++) {
      for (int w = 0; w < ways.size(); w++) {
        long start = System.nanoTime();
        node.execute(Command.of(ways.get(w))).requireSuccess();
        times.get(w).add(since(start));
      }
    }
    for (int w = 0; w < ways.size(); w++) {
      System.out.printf(
          Locale.ROOT,
          "read back with %-46s %8.1f ms = %.2fx %s%s%n",
          String.join(" ", ways.get(w)) + ":",
          median(times.get(w)),
          pairedRatio(times.get(w), times.get(0)),
          ways.get(0).get(0),
          label);
    }
  }

  /** The program of the benchmark's backend with {@code suffix}, for IPv4. */
  private static String program(String suffix) {
    return backend.program(IpFamily.IPV4, suffix);
  }

  private static void restore(CommandExecutor node, String input) throws Exception {
    node.execute(Command.of(program("-restore"), "--noflush", "-w").withStdin(input))
        .requireSuccess();
  }

  /** A timed action returning milliseconds. */
  private interface Timed {
    double run() throws Exception;
  }

  private static double median(int runs, Timed timed) throws Exception {
    List<Double> times = new ArrayList<>();
    for (int i = 0; i < runs; i++) {
      times.add(timed.run());
    }
    return median(times);
  }

  private static double median(List<Double> times) {
    List<Double> sorted = new ArrayList<>(times);
    sorted.sort(Double::compare);
    return sorted.get(sorted.size() / 2);
  }

  /**
   * The median of the ratios of runs made one after the other, which drift on a machine cancels.
   */
  private static double pairedRatio(List<Double> times, List<Double> baseline) {
    List<Double> ratios = new ArrayList<>();
    for (int i = 0; i < times.size(); i++) {
      ratios.add(times.get(i) / baseline.get(i));
    }
    return median(ratios);
  }

  private static List<Long> rounded(List<Double> times) {
    return times.stream().map(Math::round).toList();
  }

  static List<String> cidrs(int count) {
    List<String> cidrs = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      int block = i / 250;
      cidrs.add(
          (block < 256 ? "198.19." + block : "198.18." + (block - 256))
              + "."
              + (i % 250 + 1)
              + "/32");
    }
    return cidrs;
  }

  static NodePortAllowlist allowlist(List<String> cidrs, boolean ipset) {
    return NodePortAllowlist.builder()
        .name("bench")
        .addPorts(PortRange.of(30001))
        .addAllAllowedCidrs(cidrs)
        .useIpset(ipset)
        .ipv6(false)
        .build();
  }

  /**
   * Waits for the kernel's deferred work to pass: deleting a namespace that held 10,000 rules frees
   * them in a kernel worker after {@code ip netns del} returns, and that work would otherwise land
   * in the next timed run.
   */
  private static void settle() throws InterruptedException {
    Thread.sleep(SETTLE_MILLIS);
  }

  private static double since(long start) {
    return (System.nanoTime() - start) / 1e6;
  }

  private static double opskitApply(NodePortAllowlist list, boolean verify) throws Exception {
    try (IptablesBenchNetwork net = new IptablesBenchNetwork()) {
      CommandExecutor node = net.executor(net.namespace("node"));
      IptablesApplier applier =
          IptablesApplier.builder(node)
              .backend(backend)
              .verifyAfterApply(verify)
              .stateDirectory(STATE.toString())
              .build();
      // an untimed read first, as in a controller that applies often: the applier learns the
      // host's namespace key once
      applier.observe(IpFamily.IPV4);
      settle();
      long start = System.nanoTime();
      IptablesApplyResult result = applier.apply(list);
      double ms = since(start);
      check(result.changed(), "opskit apply changed nothing");
      check(result.verified() == verify, "verified() does not match verifyAfterApply");
      return ms;
    }
  }

  private static double opskitReapply(NodePortAllowlist list) throws Exception {
    try (IptablesBenchNetwork net = new IptablesBenchNetwork()) {
      IptablesApplier applier =
          IptablesApplier.builder(net.executor(net.namespace("node")))
              .backend(backend)
              .stateDirectory(STATE.toString())
              .build();
      applier.apply(list);
      settle();
      long start = System.nanoTime();
      IptablesApplyResult result = applier.apply(list);
      double ms = since(start);
      check(!result.changed(), "re-apply was not a no-op");
      return ms;
    }
  }

  /** The raw restore's time, and its time with one {@code iptables-save} after it. */
  private static double[] rawRestore(NodePortAllowlist list) throws Exception {
    String input = list.ruleSet(IpFamily.IPV4).render();
    try (IptablesBenchNetwork net = new IptablesBenchNetwork()) {
      CommandExecutor node = net.executor(net.namespace("node"));
      settle();
      long start = System.nanoTime();
      restore(node, input);
      double restored = since(start);
      node.execute(Command.of(program("-save"))).requireSuccess();
      return new double[] {restored, since(start)};
    }
  }

  /** The raw restores' time, and their time with {@code iptables-save} and {@code ipset save}. */
  private static double[] rawIpsetRestore(NodePortAllowlist list) throws Exception {
    String sets = list.ipset(IpFamily.IPV4).orElseThrow().restoreInput(true);
    String rules = list.ruleSet(IpFamily.IPV4).render();
    try (IptablesBenchNetwork net = new IptablesBenchNetwork()) {
      CommandExecutor node = net.executor(net.namespace("node"));
      settle();
      long start = System.nanoTime();
      node.execute(Command.of("ipset", "restore").withStdin(sets)).requireSuccess();
      restore(node, rules);
      double restored = since(start);
      node.execute(Command.of(program("-save"))).requireSuccess();
      node.execute(Command.of("ipset", "save", list.ipsetName(IpFamily.IPV4))).requireSuccess();
      return new double[] {restored, since(start)};
    }
  }

  private static double loop(NodePortAllowlist list) throws Exception {
    try (IptablesBenchNetwork net = new IptablesBenchNetwork()) {
      CommandExecutor node = net.executor(net.namespace("node"));
      List<List<String>> commands = list.ruleSet(IpFamily.IPV4).renderCommands();
      settle();
      long start = System.nanoTime();
      for (List<String> argv : commands) {
        node.execute(Command.of(argv)).requireSuccess();
      }
      double ms = since(start);
      System.out.printf(Locale.ROOT, "(loop ran %,d iptables commands)%n", commands.size());
      return ms;
    }
  }

  private static void check(boolean condition, String message) {
    if (!condition) {
      throw new IllegalStateException(message);
    }
  }
}
