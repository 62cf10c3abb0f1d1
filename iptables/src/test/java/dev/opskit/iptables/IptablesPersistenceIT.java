package dev.opskit.iptables;

import static org.assertj.core.api.Assertions.assertThat;

import dev.opskit.core.LocalExecutor;
import dev.opskit.core.test.Privileged;
import dev.opskit.core.test.TestNetworks;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Writes the persistence files to a temp folder, then plays the unit's ExecStart lines in a fresh
 * namespace holding foreign rules, as a boot would: opskit's rules come back, the others stay.
 */
@Privileged(tools = {"ip", "iptables", "ip6tables", "ipset"})
class IptablesPersistenceIT {

  @Test
  void unitRestoresOwnedRulesOnlyAtBoot(@TempDir Path dir) throws Exception {
    NodePortAllowlist list =
        NodePortAllowlist.builder()
            .name("web")
            .useIpset(true)
            .addPorts(PortRange.of(30001))
            .addAllowedCidrs("198.18.1.0/24", "198.19.0.7", "fd00:198:18::/64")
            .build();
    IptablesPersistence persistence =
        IptablesPersistence.builder()
            .from(IptablesPersistence.of(list))
            .directory(dir.resolve("etc").toString())
            .unitDirectory(dir.resolve("units").toString())
            .build();
    List<String> written = persistence.install(LocalExecutor.create());
    assertThat(written).hasSize(4);
    Path unit = dir.resolve("units/opskit-iptables-web.service");
    String unitText = Files.readString(unit, StandardCharsets.UTF_8);
    assertThat(unitText).contains("RemainAfterExit=yes").contains("--noflush");

    try (TestNetworks net = TestNetworks.create()) {
      String node = net.namespace("boot");
      net.exec(node, "iptables", "-w", "-A", "INPUT", "-s", "198.18.9.0/24", "-j", "ACCEPT");
      net.exec(
          node, "iptables", "-w", "-t", "raw", "-A", "PREROUTING", "-p", "udp", "-j", "ACCEPT");
      String foreign = net.exec(node, "iptables-save", "-t", "filter").stdoutUtf8();
      for (String line : unitText.lines().toList()) {
        if (line.startsWith("ExecStart=")) {
          List<String> argv = new ArrayList<>(List.of(line.substring(10).split(" ")));
          net.exec(node, argv.toArray(String[]::new));
        }
      }
      IptablesApplier applier = TestAppliers.create(net.executor(node));
      IptablesApplyResult result = applier.apply(list);
      assertThat(result.changed()).as(result.plans().toString()).isFalse();
      String raw = net.exec(node, "iptables-save", "-t", "raw").stdoutUtf8();
      assertThat(raw.indexOf("-j OPSKIT-web")).isLessThan(raw.indexOf("-p udp -j ACCEPT"));
      assertThat(withoutComments(net.exec(node, "iptables-save", "-t", "filter").stdoutUtf8()))
          .isEqualTo(withoutComments(foreign));
      assertThat(net.exec(node, "iptables-save", "-t", "filter").stdoutUtf8())
          .contains("-A INPUT -s 198.18.9.0/24 -j ACCEPT");
    }
  }

  private static String withoutComments(String saved) {
    return saved.replaceAll("(?m)^#.*\n", "");
  }

  @Test
  void nativeSaveWritesWholeTablesAndWarns(@TempDir Path dir) throws Exception {
    IptablesPersistence.NativeSave save =
        IptablesPersistence.nativeSave(IptablesPersistence.Distribution.DEBIAN, IpFamily.IPV4);
    assertThat(save.path()).isEqualTo("/etc/iptables/rules.v4");
    assertThat(save.warning()).contains("freezes kube-proxy's and Calico's");
    assertThat(
            IptablesPersistence.nativeSave(IptablesPersistence.Distribution.RHEL, IpFamily.IPV6)
                .path())
        .isEqualTo("/etc/sysconfig/ip6tables");
    try (TestNetworks net = TestNetworks.create()) {
      String node = net.namespace("native");
      net.exec(node, "iptables", "-w", "-t", "nat", "-N", "KUBE-SERVICES");
      // run the same command shape with the path pointed into the temp folder
      Path target = dir.resolve("rules.v4");
      List<String> argv = new ArrayList<>(save.command().argv());
      argv.set(argv.size() - 1, target.toString());
      net.exec(node, argv.toArray(String[]::new));
      assertThat(Files.readString(target)).contains(":KUBE-SERVICES - [0:0]");
    }
  }
}
