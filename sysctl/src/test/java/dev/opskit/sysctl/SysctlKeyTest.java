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
        "../etc/passwd",
        "net/../../etc/shadow",
        "net/./ipv4",
        "net..ipv4",
        "net.ipv4.",
        ".net.ipv4",
        "/proc/sys/net",
        "net//ipv4",
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
}
