package dev.opskit.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.opskit.core.test.Privileged;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

@Privileged(tools = {"ip", "iptables", "iptables-save", "ipset"})
class IptablesCliIT {
  @RegisterExtension final CliNamespace node = new CliNamespace("cli");

  @Test
  void dryRunPrintsThePlanAndChangesNothing() {
    CliRun run =
        node.iptables(
            "allow-nodeport",
            "--name",
            "web",
            "--port",
            "30001",
            "--allow",
            "198.18.1.0/24",
            "--dry-run");

    assertThat(run.exitCode).as(run.toString()).isZero();
    assertThat(run.out).contains("create chain OPSKIT-web").contains("dry run: nothing changed");
    assertThat(node.save()).doesNotContain("OPSKIT-web");
  }

  @Test
  void allowShowAndRemoveANodePort() {
    String[] allowWeb = {
      "allow-nodeport",
      "--name",
      "web",
      "--port",
      "30001,30100-30110",
      "--allow",
      "198.18.1.0/24",
      "--allow",
      "198.18.2.7"
    };
    CliRun allow = node.iptables(allowWeb);
    assertThat(allow.exitCode).as(allow.toString()).isZero();
    assertThat(node.save())
        .contains("-A PREROUTING -p tcp -m multiport --dports 30001,30100:30110")
        .contains("-A OPSKIT-web -s 198.18.2.7/32 -j RETURN");

    CliRun again = node.iptables(allowWeb);
    assertThat(again.exitCode).isZero();
    assertThat(again.out).containsIgnoringCase("no change");

    CliRun show = node.iptables("show");
    assertThat(show.exitCode).isZero();
    assertThat(show.out)
        .contains("# IPV4, owner web")
        .contains("table raw")
        .contains("  chain OPSKIT-web")
        .contains("from 198.18.2.7/32: return")
        .contains("-A OPSKIT-web -s 198.18.2.7/32 -j RETURN")
        .contains("protocol tcp, tcp ports [30001, 30100:30110]");
    CliRun raw = node.iptables("show", "--raw");
    assertThat(raw.out).contains(":OPSKIT-web - [0:0]");

    CliRun remove = node.iptables("remove-nodeport", "--name", "web");
    assertThat(remove.exitCode).as(remove.toString()).isZero();
    assertThat(node.save()).doesNotContain("OPSKIT-web");
  }

  @Test
  void showAllDescribesEveryRuleTyped() {
    node.exec("iptables", "-w", "-t", "nat", "-N", "KUBE-SEP-TEST");
    node.exec(
        "iptables",
        "-w",
        "-t",
        "nat",
        "-A",
        "KUBE-SEP-TEST",
        "-m",
        "comment",
        "--comment",
        "ns1/web:http",
        "-m",
        "tcp",
        "-p",
        "tcp",
        "-j",
        "DNAT",
        "--to-destination",
        "198.18.2.2:8080");
    node.exec(
        "ip6tables",
        "-w",
        "-A",
        "INPUT",
        "!",
        "-s",
        "2001:db8::/32",
        "-m",
        "conntrack",
        "--ctstate",
        "NEW",
        "-j",
        "DROP");

    CliRun show = node.iptables("show", "--all");

    assertThat(show.exitCode).as(show.toString()).isZero();
    assertThat(show.out)
        .contains("# IPV4")
        .contains("  chain KUBE-SEP-TEST")
        .contains("    1. protocol tcp, comment 'ns1/web:http', tcp: DNAT to 198.18.2.2 port 8080")
        .contains("# IPV6")
        .contains("from not 2001:db8::/32, conntrack state NEW: drop")
        .doesNotContain("untyped");
  }

  @Test
  void removingAnIpsetAllowlistDestroysItsIpsets() {
    CliRun allow =
        node.iptables(
            "allow-nodeport",
            "--name",
            "db",
            "--port",
            "30002",
            "--allow",
            "198.18.1.0/24",
            "--ipset");
    assertThat(allow.exitCode).as(allow.toString()).isZero();
    assertThat(node.exec("ipset", "list", "-n").stdoutUtf8()).contains("opskit-db-v4");

    CliRun remove = node.iptables("remove-nodeport", "--name", "db");

    assertThat(remove.exitCode).as(remove.toString()).isZero();
    assertThat(node.save()).doesNotContain("OPSKIT-db");
    assertThat(node.exec("ipset", "list", "-n").stdoutUtf8()).isBlank();
  }

  @Test
  void badInputIsExitTwoNamingTheValue() {
    CliRun run =
        node.iptables(
            "allow-nodeport", "--name", "web", "--port", "30001", "--allow", "198.18.1.0/33");
    assertThat(run.exitCode).isEqualTo(2);
    assertThat(run.err).contains("198.18.1.0/33").doesNotContain("Exception");

    CliRun mode =
        CliRun.of(
            "iptables",
            "allow-nodeport",
            "--name",
            "web",
            "--port",
            "30001",
            "--allow",
            "198.18.1.0/24",
            "--mode",
            "prerouting");
    assertThat(mode.exitCode).isEqualTo(2);
    assertThat(mode.err).contains("'prerouting'");
  }
}
