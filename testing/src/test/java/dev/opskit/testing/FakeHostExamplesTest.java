package dev.opskit.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.opskit.iptables.IpFamily;
import dev.opskit.iptables.IptablesApplier;
import dev.opskit.iptables.IptablesPlan;
import dev.opskit.iptables.NodePortAllowlist;
import dev.opskit.iptables.PortRange;
import dev.opskit.sysctl.SysctlApplier;
import dev.opskit.sysctl.SysctlDrift;
import dev.opskit.sysctl.SysctlProfile;
import org.junit.jupiter.api.Test;

/**
 * What a user writes to test code that calls the appliers: a few lines each, no root. The README
 * quotes the marked parts.
 */
class FakeHostExamplesTest {
  @Test
  void nodePortAllowlistIsPlannedAppliedAndVerified() throws Exception {
    // [readme]
    FakeHost host = FakeHost.create();
    NodePortAllowlist web =
        NodePortAllowlist.builder()
            .name("web")
            .addPorts(PortRange.of(30080))
            .addAllowedCidrs("198.18.1.0/24")
            .build();
    IptablesApplier applier = IptablesApplier.on(host);
    IptablesPlan plan = IptablesPlan.of(applier.observe(IpFamily.IPV4), web.ruleSet(IpFamily.IPV4));
    assertThat(plan.changes()).contains("raw: create chain OPSKIT-web (2 rules)");
    assertThat(applier.apply(web).verified()).isTrue();
    assertThat(host.iptablesSave(IpFamily.IPV4))
        .contains("-A OPSKIT-web -s 198.18.1.0/24 -j RETURN");
    assertThat(applier.apply(web).changed()).isFalse();
    // [/readme]
  }

  @Test
  void sysctlDriftIsFoundAndFixed() throws Exception {
    // [readme]
    FakeHost host = FakeHost.create().withSysctl("net.core.somaxconn", "1024");
    SysctlProfile web =
        SysctlProfile.builder().name("web").set("net.core.somaxconn", "4096").build();
    SysctlApplier node = SysctlApplier.on(host);
    assertThat(node.drift(web))
        .extracting(SysctlDrift::status)
        .containsExactly(SysctlDrift.Status.DIFFERS);
    node.apply(web);
    assertThat(host.sysctl("net.core.somaxconn")).hasValue("4096");
    assertThat(node.drift(web)).allMatch(SysctlDrift::isSatisfied);
    assertThat(host.file("/etc/sysctl.d/99-opskit-web.conf").orElseThrow())
        .contains("net.core.somaxconn = 4096");
    // [/readme]
  }
}
