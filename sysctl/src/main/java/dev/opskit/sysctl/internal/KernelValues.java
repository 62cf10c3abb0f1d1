package dev.opskit.sysctl.internal;

import dev.opskit.sysctl.SysctlKey;
import java.math.BigInteger;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What the kernel accepts for well-known keys (number of integer fields, their range, whether they
 * must be in ascending order, as Documentation/admin-guide/sysctl and networking/ip-sysctl describe
 * them), and the check of a value against the shape of the live value. Not part of the public API.
 */
public final class KernelValues {
  private static final BigInteger INT_MAX = BigInteger.valueOf(Integer.MAX_VALUE);
  private static final BigInteger INT_MIN = BigInteger.valueOf(Integer.MIN_VALUE);
  private static final BigInteger LONG_MAX = BigInteger.valueOf(Long.MAX_VALUE);

  private static final Map<String, Rule> RULES = new HashMap<>();

  static {
    for (String flag :
        List.of(
            "net.ipv4.ip_forward",
            "net.ipv4.conf.all.forwarding",
            "net.ipv4.conf.default.forwarding",
            "net.ipv6.conf.all.forwarding",
            "net.ipv6.conf.default.forwarding",
            "net.ipv6.conf.all.disable_ipv6",
            "net.ipv6.conf.default.disable_ipv6",
            "net.bridge.bridge-nf-call-iptables",
            "net.bridge.bridge-nf-call-ip6tables",
            "net.bridge.bridge-nf-call-arptables",
            "net.ipv4.tcp_slow_start_after_idle",
            "kernel.panic_on_oops",
            "kernel.shm_rmid_forced")) {
      rule(flag, 1, BigInteger.ZERO, BigInteger.ONE, false);
    }
    for (String mode :
        List.of(
            "vm.overcommit_memory",
            "vm.panic_on_oom",
            "net.ipv4.tcp_syncookies",
            "net.ipv4.conf.all.rp_filter",
            "net.ipv4.conf.default.rp_filter")) {
      rule(mode, 1, BigInteger.ZERO, BigInteger.TWO, false);
    }
    for (String count :
        List.of(
            "net.core.somaxconn",
            "net.core.netdev_max_backlog",
            "net.core.rmem_max",
            "net.core.wmem_max",
            "net.core.rmem_default",
            "net.core.wmem_default",
            "net.ipv4.tcp_max_syn_backlog",
            "net.ipv4.tcp_max_tw_buckets",
            "net.ipv4.tcp_fin_timeout",
            "net.ipv4.tcp_keepalive_time",
            "net.ipv4.tcp_keepalive_intvl",
            "net.ipv4.tcp_keepalive_probes",
            "net.ipv4.tcp_notsent_lowat",
            "net.ipv4.ip_unprivileged_port_start",
            "net.netfilter.nf_conntrack_max",
            "fs.nr_open",
            "fs.inotify.max_user_watches",
            "fs.inotify.max_user_instances",
            "fs.inotify.max_queued_events",
            "fs.aio-max-nr",
            "vm.max_map_count",
            "vm.min_free_kbytes",
            "kernel.threads-max")) {
      rule(count, 1, BigInteger.ZERO, INT_MAX, false);
    }
    rule("fs.file-max", 1, BigInteger.ZERO, LONG_MAX, false);
    rule("vm.swappiness", 1, BigInteger.ZERO, BigInteger.valueOf(200), false);
    rule("kernel.pid_max", 1, BigInteger.valueOf(301), BigInteger.valueOf(4194304), false);
    rule("kernel.panic", 1, INT_MIN, INT_MAX, false);
    rule("net.ipv4.ip_local_port_range", 2, BigInteger.ONE, BigInteger.valueOf(65535), true);
    rule("net.ipv4.ping_group_range", 2, BigInteger.ZERO, INT_MAX, true);
    rule("net.ipv4.tcp_rmem", 3, BigInteger.ONE, INT_MAX, true);
    rule("net.ipv4.tcp_wmem", 3, BigInteger.ONE, INT_MAX, true);
    rule("net.ipv4.tcp_mem", 3, BigInteger.ZERO, LONG_MAX, true);
    rule("kernel.sem", 4, BigInteger.ZERO, INT_MAX, false);
  }

  private static final List<String> WORDS = List.of("kernel.hostname", "kernel.domainname");

  private static final String[] COUNTS = {"", "an integer", "two integers", "three integers"};

  private KernelValues() {}

  private static void rule(String key, int fields, BigInteger min, BigInteger max, boolean asc) {
    RULES.put(key, new Rule(fields, min, max, asc));
  }

  /**
   * Checks {@code value} against what the kernel documents for {@code key}, when the key is a
   * well-known one.
   *
   * @throws IllegalArgumentException naming the key, the value and the rule
   */
  public static void checkKnown(SysctlKey key, String value) {
    Rule rule = RULES.get(key.name());
    if (rule == null) {
      return;
    }
    List<String> fields = Values.fields(value);
    String problem = null;
    if (fields.size() != rule.fields || !fields.stream().allMatch(f -> integer(f).isPresent())) {
      problem = "must be " + count(rule.fields);
    } else {
      BigInteger previous = null;
      for (String field : fields) {
        BigInteger number = integer(field).orElseThrow();
        if (number.compareTo(rule.min) < 0 || number.compareTo(rule.max) > 0) {
          problem = "must be " + count(rule.fields);
          break;
        }
        if (rule.ascending && previous != null && number.compareTo(previous) < 0) {
          problem =
              "must be in ascending order ("
                  + (rule.fields == 2 ? "low high" : "min default max")
                  + ")";
          break;
        }
        previous = number;
      }
    }
    if (problem != null) {
      if (problem.startsWith("must be " + count(rule.fields))) {
        problem += " from " + rule.min + " to " + rule.max;
      }
      throw new IllegalArgumentException(
          "value of " + key + " " + Values.quote(value) + " " + problem);
    }
  }

  /**
   * The problem with writing {@code desired} where the kernel now holds {@code live}: when the live
   * value is one or more integers, the desired value must be as many integers.
   */
  public static Optional<String> checkAgainstLive(SysctlKey key, String desired, String live) {
    if (WORDS.contains(key.name())) {
      return Optional.empty();
    }
    List<String> liveFields = Values.fields(live);
    if (liveFields.isEmpty() || !liveFields.stream().allMatch(f -> integer(f).isPresent())) {
      return Optional.empty();
    }
    List<String> wanted = Values.fields(desired);
    if (wanted.size() == liveFields.size()
        && wanted.stream().allMatch(f -> integer(f).isPresent())) {
      return Optional.empty();
    }
    return Optional.of(
        "value "
            + Values.quote(desired)
            + " is not "
            + (liveFields.size() < COUNTS.length
                ? count(liveFields.size())
                : liveFields.size() + " integers")
            + " like the kernel's "
            + Values.quote(Values.normalize(live)));
  }

  private static String count(int fields) {
    return fields < COUNTS.length ? COUNTS[fields] : fields + " integers";
  }

  private static Optional<BigInteger> integer(String field) {
    return Values.integer(field);
  }

  private static final class Rule {
    final int fields;
    final BigInteger min;
    final BigInteger max;
    final boolean ascending;

    Rule(int fields, BigInteger min, BigInteger max, boolean ascending) {
      this.fields = fields;
      this.min = min;
      this.max = max;
      this.ascending = ascending;
    }
  }
}
