package dev.opskit.sysctl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class SysctlProfileTest {

  @Test
  void kubernetesNodePresetHoldsTheNotesValuesAsRaiseOnly() {
    SysctlProfile node = SysctlProfile.kubernetesNode();

    assertThat(node.value(SysctlKey.of("fs.file-max"))).hasValue("2097152");
    assertThat(node.value(SysctlKey.of("fs.inotify.max_user_watches"))).hasValue("524288");
    assertThat(node.value(SysctlKey.of("fs.inotify.max_user_instances"))).hasValue("512");
    assertThat(node.value(SysctlKey.of("net.ipv4.ip_forward"))).hasValue("1");
    assertThat(node.value(SysctlKey.of("net.bridge.bridge-nf-call-iptables"))).hasValue("1");
    assertThat(node.raiseOnly())
        .contains(
            SysctlKey.of("fs.file-max"),
            SysctlKey.of("fs.inotify.max_user_watches"),
            SysctlKey.of("fs.inotify.max_user_instances"));
    assertThat(node.notes().get(SysctlKey.of("net.bridge.bridge-nf-call-iptables")))
        .contains("br_netfilter");
    assertThat(node.fileName()).isEqualTo("99-opskit-kubernetes-node.conf");
  }

  @Test
  void renderedDropInParsesBackToTheProfile() {
    SysctlProfile profile =
        SysctlProfile.builder()
            .name("web")
            .priority(60)
            .description("front ends")
            .set("net.core.somaxconn", "4096")
            .set("net.ipv4.ip_local_port_range", "1024 65000")
            .set("net.netfilter.nf_conntrack_max", "262144")
            .optional("net.netfilter.nf_conntrack_max")
            .note("net.core.somaxconn", "listen backlog")
            .build();

    String text = profile.render();
    SysctlFile file = profile.toFile("/etc/sysctl.d");

    assertThat(profile.fileName()).isEqualTo("60-opskit-web.conf");
    assertThat(file.path()).isEqualTo("/etc/sysctl.d/60-opskit-web.conf");
    assertThat(text)
        .contains("# front ends\n# listen backlog\nnet.core.somaxconn = 4096\n")
        .contains("-net.netfilter.nf_conntrack_max = 262144\n");
    assertThat(SysctlProfile.fromFile("web", file).values()).isEqualTo(profile.values());
    assertThat(SysctlProfile.fromFile("web", file).ignoreFailures())
        .containsExactly(SysctlKey.of("net.netfilter.nf_conntrack_max"));
  }

  @Test
  void keepsInsertionOrder() {
    SysctlProfile profile =
        SysctlProfile.builder().name("o").set("z.z", "1").set("a.a", "2").set("m.m", "3").build();
    assertThat(profile.values().keySet())
        .extracting(SysctlKey::name)
        .containsExactly("z.z", "a.a", "m.m");
  }

  @Test
  void rejectsHostileValuesAndNames() {
    assertThatThrownBy(
            () ->
                SysctlProfile.builder()
                    .name("x")
                    .set("kernel.hostname", "a\nkernel.core_pattern = |/bin/sh")
                    .build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("kernel.hostname")
        .hasMessageContaining("line break");
    assertThatThrownBy(
            () -> SysctlProfile.builder().name("x").set("kernel.x", "y".repeat(10_000)).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("10000 characters long");
    assertThatThrownBy(() -> SysctlProfile.builder().name("../evil").set("a.b", "1").build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("profile name '../evil'");
    assertThatThrownBy(() -> SysctlProfile.builder().name("x").set("a.b", "").build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("must not be empty");
    assertThatThrownBy(() -> SysctlProfile.builder().name("x").set("a.b", " 1").build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("whitespace");
    assertThatThrownBy(() -> SysctlProfile.builder().name("x").set("a.*.b", "1").build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("pattern");
    assertThatThrownBy(() -> SysctlProfile.builder().name("x").build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("at least one key");
    assertThatThrownBy(
            () -> SysctlProfile.builder().name("x").set("a.b", "1").priority(100).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("between 0 and 99");
  }

  @Test
  void policiesMustNameProfileKeysAndRaiseOnlyNeedsIntegers() {
    assertThatThrownBy(
            () ->
                SysctlProfile.builder()
                    .name("x")
                    .set("net.ipv4.tcp_rmem", "4096 87380 6291456")
                    .addRaiseOnly(SysctlKey.of("net.ipv4.tcp_rmem"))
                    .build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("single integer");
    assertThatThrownBy(
            () -> SysctlProfile.builder().name("x").set("a.b", "1").optional("c.d").build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("optional key c.d");
    assertThatThrownBy(
            () -> SysctlProfile.builder().name("x").set("a.b", "1").note("a.b", "x\ny").build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("line break");
  }
}
