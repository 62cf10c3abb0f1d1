package dev.opskit.sysctl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SysctlKeyTest {

  @Test
  void dottedAndSlashedSpellingsAreTheSameKey() {
    SysctlKey dotted = SysctlKey.of("net.ipv4.ip_forward");
    SysctlKey slashed = SysctlKey.of("net/ipv4/ip_forward");

    assertThat(dotted).isEqualTo(slashed).hasSameHashCodeAs(slashed);
    assertThat(slashed.name()).isEqualTo("net.ipv4.ip_forward");
    assertThat(dotted.procPath()).isEqualTo("/proc/sys/net/ipv4/ip_forward");
    assertThat(dotted.segments()).containsExactly("net", "ipv4", "ip_forward");
  }

  @Test
  void vlanInterfaceDotIsKeptInsideItsSegment() {
    SysctlKey dotted = SysctlKey.of("net.ipv4.conf.eth0/100.rp_filter");
    SysctlKey slashed = SysctlKey.of("net/ipv4/conf/eth0.100/rp_filter");

    assertThat(dotted).isEqualTo(slashed);
    assertThat(dotted.relativePath()).isEqualTo("net/ipv4/conf/eth0.100/rp_filter");
    assertThat(slashed.name()).isEqualTo("net.ipv4.conf.eth0/100.rp_filter");
  }

  @Test
  void dashesAndPatternsAreAccepted() {
    assertThat(SysctlKey.of("fs.file-max").relativePath()).isEqualTo("fs/file-max");
    assertThat(SysctlKey.of("net.bridge.bridge-nf-call-iptables").isPattern()).isFalse();
    assertThat(SysctlKey.of("net.ipv4.conf.*.rp_filter").isPattern()).isTrue();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        ".",
        "..",
        "...",
        "//",
        "net.ipv4.conf.a b.x",
        "../etc/passwd",
        "net/../../etc/shadow",
        "net.ipv4.ip forward",
        "net.ipv4.ip_forward\nkernel.core_pattern",
        "net.ipv4.ip_forward\r",
        "net.ipv4.ip_forward=1",
        "kernel.core_pattern\0",
        "net.ipv4.\tx",
        "net.ipv4.$(reboot)",
        "net.ipv4.`id`",
        "net.ipv4.a;b",
        "net.ipv4.'q'",
      })
  void hostileOrMalformedKeysAreRejected(String key) {
    assertThatThrownBy(() -> SysctlKey.of(key))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("sysctl key");
  }

  @Test
  void overlongKeyIsRejectedWithItsLength() {
    String key = "net." + "a".repeat(10_000);
    assertThatThrownBy(() -> SysctlKey.of(key))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("longer than " + SysctlKey.MAX_LENGTH);
  }

  @Test
  void isUnderMatchesWholeSegmentsOnly() {
    assertThat(SysctlKey.of("fs.inotify.max_user_watches").isUnder("fs.inotify")).isTrue();
    assertThat(SysctlKey.of("fs.inotify_x").isUnder("fs.inotify")).isFalse();
  }

  @Test
  void repeatedLeadingAndTrailingSeparatorsCollapseAsSystemdNormalises() {
    assertThat(SysctlKey.of("kernel...domainname").relativePath()).isEqualTo("kernel/domainname");
    assertThat(SysctlKey.of(".kernel.domainname.").relativePath()).isEqualTo("kernel/domainname");
    assertThat(SysctlKey.of("//kernel//domainname").relativePath()).isEqualTo("kernel/domainname");
    assertThat(SysctlKey.of("kernel/./domainname").relativePath()).isEqualTo("kernel/domainname");
    assertThat(SysctlKey.of("x.y/z.w").relativePath()).isEqualTo("x/y.z/w");
    assertThat(SysctlKey.of("x/y.z/w").relativePath()).isEqualTo("x/y.z/w");
    assertThat(SysctlKey.of("kernel...domainname")).isEqualTo(SysctlKey.of("kernel/domainname"));
  }

  @Test
  void globCharactersMakePatternsThatMatchWholeSegments() {
    SysctlKey star = SysctlKey.of("net.ipv4.conf.*.rp_filter");
    SysctlKey question = SysctlKey.of("net.ipv4.conf.veth?.rp_filter");
    SysctlKey bracket = SysctlKey.of("net.ipv4.conf.[bv]*.rp_filter");
    SysctlKey negated = SysctlKey.of("net.ipv4.conf.[!b]*.rp_filter");
    assertThat(question.isPattern()).isTrue();
    assertThat(bracket.isPattern()).isTrue();

    SysctlKey veth1 = SysctlKey.of("net.ipv4.conf.veth1.rp_filter");
    SysctlKey br0 = SysctlKey.of("net.ipv4.conf.br0.rp_filter");
    SysctlKey veth12 = SysctlKey.of("net.ipv4.conf.veth12.rp_filter");
    SysctlKey vlan = SysctlKey.of("net/ipv4/conf/bond0.100/rp_filter");
    assertThat(star.matches(veth1)).isTrue();
    assertThat(star.matches(vlan)).as("* matches a dot inside a segment").isTrue();
    assertThat(star.matches(SysctlKey.of("net.ipv4.conf.a.b.rp_filter")))
        .as("* never spans a path separator")
        .isFalse();
    assertThat(question.matches(veth1)).isTrue();
    assertThat(question.matches(veth12)).isFalse();
    assertThat(bracket.matches(br0)).isTrue();
    assertThat(bracket.matches(SysctlKey.of("net.ipv4.conf.eth0.rp_filter"))).isFalse();
    assertThat(negated.matches(br0)).isFalse();
    assertThat(negated.matches(veth1)).isTrue();
    assertThat(SysctlKey.of("net.ipv4.conf.[a-c]r0.rp_filter").matches(br0)).isTrue();
    assertThat(veth1.matches(veth1)).isTrue();
    assertThat(veth1.matches(br0)).isFalse();
  }
}
