package dev.opskit.sysctl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class LimitsProfileTest {

  @Test
  void kubernetesNodeCoversRootAndTheServicesThatPamNeverReaches() {
    LimitsProfile limits = LimitsProfile.kubernetesNode();
    Map<String, String> files = limits.files();

    assertThat(files.keySet())
        .containsExactly(
            "/etc/security/limits.d/99-opskit-kubernetes-node.conf",
            "/etc/systemd/system/containerd.service.d/99-opskit-kubernetes-node.conf",
            "/etc/systemd/system/kubelet.service.d/99-opskit-kubernetes-node.conf");
    assertThat(files.get("/etc/security/limits.d/99-opskit-kubernetes-node.conf"))
        .contains("*\tsoft\tnofile\t1048576\n")
        .contains("*\thard\tnofile\t1048576\n")
        .contains("root\tsoft\tnofile\t1048576\n")
        .contains("root\thard\tnofile\t1048576\n");
    assertThat(limits.renderSystemdDropIn("kubelet.service"))
        .endsWith("[Service]\nLimitNOFILE=1048576\n");
  }

  @Test
  void limitsFileRoundTripsThroughTheParser() {
    LimitsProfile limits =
        LimitsProfile.builder()
            .name("x")
            .addEntries(
                LimitsEntry.of(
                    "@docker", LimitsEntry.Type.BOTH, LimitsEntry.Item.MEMLOCK, "unlimited"),
                LimitsEntry.of("1000:2000", LimitsEntry.Type.SOFT, LimitsEntry.Item.NPROC, "4096"),
                LimitsEntry.of("ops", LimitsEntry.Type.HARD, LimitsEntry.Item.NICE, "-10"))
            .build();

    assertThat(LimitsProfile.parseEntries(limits.limitsPath(), limits.renderLimits()))
        .isEqualTo(limits.entries());
    assertThat(
            LimitsProfile.parseEntries(
                "limits.conf", "# c\n\n  *   soft  nofile   65536  \n@adm - core 0\n"))
        .extracting(LimitsEntry::render)
        .containsExactly("*\tsoft\tnofile\t65536", "@adm\t-\tcore\t0");
  }

  @Test
  void parserNamesTheBadLine() {
    assertThatThrownBy(() -> LimitsProfile.parseEntries("l.conf", "* soft nofile 1\n* soft\n"))
        .isInstanceOfSatisfying(SysctlParseException.class, e -> assertThat(e.line()).isEqualTo(2));
    assertThatThrownBy(() -> LimitsProfile.parseEntries("l.conf", "* maybe nofile 1\n"))
        .isInstanceOf(SysctlParseException.class)
        .hasMessageContaining("soft, hard or -");
    assertThatThrownBy(() -> LimitsProfile.parseEntries("l.conf", "* soft files 1\n"))
        .isInstanceOf(SysctlParseException.class)
        .hasMessageContaining("not a limits.conf(5) item");
  }

  @Test
  void rejectsBadDomainsValuesAndUnits() {
    assertThatThrownBy(
            () -> LimitsEntry.of("a b", LimitsEntry.Type.SOFT, LimitsEntry.Item.NOFILE, "1"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("limits domain 'a b'");
    assertThatThrownBy(
            () -> LimitsEntry.of("*\n* hard", LimitsEntry.Type.SOFT, LimitsEntry.Item.NOFILE, "1"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(
            () -> LimitsEntry.of("*", LimitsEntry.Type.SOFT, LimitsEntry.Item.NOFILE, "1\n* hard"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("must be an integer");
    assertThatThrownBy(
            () -> LimitsEntry.of("*", LimitsEntry.Type.SOFT, LimitsEntry.Item.NICE, "unlimited"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("needs a number");
    assertThatThrownBy(
            () -> LimitsEntry.of("*", LimitsEntry.Type.SOFT, LimitsEntry.Item.NICE, "25"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("between -20 and 19");
    assertThatThrownBy(
            () ->
                LimitsProfile.builder().name("x").putServiceNofile("../../etc/passwd", "1").build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("systemd unit");
    assertThatThrownBy(
            () -> LimitsProfile.builder().name("x").putServiceNofile("a.service", "2:1").build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("soft must not exceed hard");
    assertThatThrownBy(
            () ->
                LimitsProfile.builder()
                    .name("x")
                    .putServiceNofile("a.service", "1\nExecStart=/x")
                    .build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("LimitNOFILE value");
    assertThat(
            LimitsProfile.builder()
                .name("x")
                .putServiceNofile("a.service", "65536:infinity")
                .build()
                .files())
        .containsOnlyKeys("/etc/systemd/system/a.service.d/99-opskit-x.conf");
  }

  @Test
  void hostileValuesAreRejectedAtConstruction() {
    String huge = "1".repeat(10_000);
    assertThatThrownBy(
            () -> LimitsEntry.of("*", LimitsEntry.Type.SOFT, LimitsEntry.Item.NOFILE, huge))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("must be an integer");
    assertThatThrownBy(
            () ->
                LimitsEntry.of(
                    "*", LimitsEntry.Type.SOFT, LimitsEntry.Item.NOFILE, "9999999999999999999"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("must be at most 9223372036854775807");
    assertThatThrownBy(
            () ->
                LimitsEntry.of(
                    "x".repeat(10_000), LimitsEntry.Type.SOFT, LimitsEntry.Item.NOFILE, "1"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("limits domain");
    assertThatThrownBy(
            () -> LimitsEntry.of("../root", LimitsEntry.Type.SOFT, LimitsEntry.Item.NOFILE, "1"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(
            () -> LimitsProfile.builder().name("../x").putServiceNofile("a.service", "1").build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("limits profile name");
    assertThatThrownBy(
            () -> LimitsProfile.builder().name("x").putServiceNofile("a/../b.service", "1").build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("systemd unit");
    assertThatThrownBy(
            () ->
                LimitsProfile.builder()
                    .name("x")
                    .putServiceNofile("a.service", "1 \nExecStartPre=/bin/true")
                    .build())
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(
            () -> LimitsProfile.builder().name("x").putServiceNofile("a.service", huge).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("LimitNOFILE value");
    assertThatThrownBy(() -> LimitsProfile.builder().name("x").build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("must have entries or service limits");
  }

  @Test
  void filesFollowTheGivenFolders() {
    LimitsProfile limits = LimitsProfile.kubernetesNode();
    assertThat(limits.files("/t/l/", "/t/s").keySet())
        .containsExactly(
            "/t/l/99-opskit-kubernetes-node.conf",
            "/t/s/containerd.service.d/99-opskit-kubernetes-node.conf",
            "/t/s/kubelet.service.d/99-opskit-kubernetes-node.conf");
    assertThat(limits.files("/t/l", "/t/s").values())
        .containsExactlyElementsOf(limits.files().values());
    assertThat(limits.fileName()).isEqualTo("99-opskit-kubernetes-node.conf");
  }
}
