package com.example.consumer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.opskit.iptables.IpFamily;
import dev.opskit.iptables.IptablesApplier;
import dev.opskit.iptables.NodePortAllowlist;
import dev.opskit.iptables.PortRange;
import dev.opskit.sysctl.SysctlApplier;
import dev.opskit.sysctl.SysctlDrift;
import dev.opskit.sysctl.SysctlProfile;
import dev.opskit.testing.FakeHost;
import org.junit.jupiter.api.Test;

/** The appliers tested on the in-memory host: no root, a few lines each. */
class AppliersOnFakeHostTest {

  @Test
  void allowlistIsPlannedAppliedAndThenUpToDate() throws Exception {
    FakeHost host = FakeHost.create();
    NodePortAllowlist web =
        NodePortAllowlist.builder()
            .name("web")
            .addPorts(PortRange.of(30080))
            .addAllowedCidrs("198.18.1.0/24")
            .build();
    IptablesApplier applier = IptablesApplier.on(host);
    assertThat(applier.plan(web).isEmpty()).isFalse();
    assertThat(applier.apply(web).verified()).isTrue();
    assertThat(host.iptablesSave(IpFamily.IPV4))
        .contains("-A OPSKIT-web -s 198.18.1.0/24 -j RETURN");
    assertThat(applier.plan(web).isEmpty()).isTrue();
  }

  @Test
  void sysctlDriftIsFound() throws Exception {
    FakeHost host = FakeHost.create().withSysctl("net.core.somaxconn", "1024");
    SysctlProfile web =
        SysctlProfile.builder().name("web").set("net.core.somaxconn", "4096").build();
    assertThat(SysctlApplier.on(host).drift(web))
        .singleElement()
        .satisfies(d -> assertThat(d.status()).isEqualTo(SysctlDrift.Status.DIFFERS))
        .satisfies(d -> assertThat(d.observed()).hasValue("1024"));
  }
}
