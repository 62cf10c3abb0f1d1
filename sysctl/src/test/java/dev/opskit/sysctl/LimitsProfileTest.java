package dev.opskit.sysctl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
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

  private static LimitsEntry one(String line) {
    List<LimitsEntry> entries = LimitsProfile.parseEntries("/etc/security/limits.d/x.conf", line);
    assertThat(entries).hasSize(1);
    assertThat(LimitsProfile.parseEntries("again", entries.get(0).render()))
        .as("renders back to an equal entry")
        .isEqualTo(entries);
    return entries.get(0);
  }

  @Test
  void typeItemAndValueAreCaseInsensitiveAndKeptLowerCase() {
    LimitsEntry entry = one("@builders\tSOFT\tNProc\tInfinity");
    assertThat(entry.type()).isEqualTo(LimitsEntry.Type.SOFT);
    assertThat(entry.item()).hasValue(LimitsEntry.Item.NPROC);
    assertThat(entry.value()).hasValue("infinity");
    assertThat(entry.isUnlimited()).isTrue();
    assertThat(entry.render()).isEqualTo("@builders\tsoft\tnproc\tinfinity");
  }

  @Test
  void everySpellingOfNoLimitIsUnlimitedExceptForNumericItems() {
    for (String value : new String[] {"-", "-1", "unlimited", "infinity"}) {
      assertThat(one("deploy hard memlock " + value).isUnlimited()).as(value).isTrue();
    }
    assertThat(one("deploy hard memlock 64").isUnlimited()).isFalse();
    LimitsEntry nice = one("deploy - nice -1");
    assertThat(nice.value()).hasValue("-1");
    assertThat(nice.isUnlimited()).as("-1 is a nice value, not 'no limit'").isFalse();
    for (String line :
        new String[] {"deploy - nice -", "deploy - priority unlimited", "deploy - nonewprivs -1"}) {
      assertThatThrownBy(() -> LimitsProfile.parseEntries("l.conf", line))
          .as(line)
          .isInstanceOf(SysctlParseException.class)
          .hasMessageContaining("needs a number");
    }
  }

  @Test
  void everyItemPamKnowsIsAccepted() {
    for (LimitsEntry.Item item : LimitsEntry.Item.values()) {
      String value = item == LimitsEntry.Item.NONEWPRIVS ? "1" : "7";
      assertThat(one("svc soft " + item.token() + " " + value).item()).hasValue(item);
    }
    assertThat(one("svc hard rttime 500000").item()).hasValue(LimitsEntry.Item.RTTIME);
  }

  @Test
  void hashStartsACommentAnywhereOnTheLine() {
    assertThat(one("svc soft nofile 4096   # raised for the indexer").value()).hasValue("4096");
    assertThat(LimitsProfile.parseEntries("l.conf", "   # only a comment\n\n")).isEmpty();
  }

  @Test
  void percentDomainsOnlyTakeLoginLimits() {
    assertThat(one("% - maxlogins 20").item()).hasValue(LimitsEntry.Item.MAXLOGINS);
    assertThat(one("%ops hard maxlogins 3").domain()).isEqualTo("%ops");
    assertThat(one("%ops - maxsyslogins 30").item()).hasValue(LimitsEntry.Item.MAXSYSLOGINS);
    assertThat(one("%:2000 - maxlogins 1").domain()).isEqualTo("%:2000");
    assertThatThrownBy(() -> LimitsProfile.parseEntries("l.conf", "%ops soft nofile 10\n"))
        .isInstanceOf(SysctlParseException.class)
        .hasMessageContaining("only for maxlogins and maxsyslogins");
    assertThatThrownBy(() -> LimitsProfile.parseEntries("l.conf", "%2000: - maxlogins 1\n"))
        .isInstanceOf(SysctlParseException.class)
        .hasMessageContaining("limits domain '%2000:'");
  }

  @Test
  void uidAndGidRangesAreDomains() {
    assertThat(one("2000:2999 hard nproc 100").domain()).isEqualTo("2000:2999");
    assertThat(one("5000: soft core 0").domain()).isEqualTo("5000:");
    assertThat(one(":99 soft core 0").domain()).isEqualTo(":99");
    assertThat(one("@3000: soft core 0").domain()).isEqualTo("@3000:");
    assertThat(one("@:3000 soft core 0").domain()).isEqualTo("@:3000");
    assertThatThrownBy(() -> LimitsProfile.parseEntries("l.conf", "web: soft core 0\n"))
        .isInstanceOf(SysctlParseException.class);
  }

  @Test
  void twoFieldDashLineLiftsAllLimits() {
    LimitsEntry entry = one("backup\t-");
    assertThat(entry.isNoLimits()).isTrue();
    assertThat(entry.item()).isEmpty();
    assertThat(entry.value()).isEmpty();
    assertThat(entry).isEqualTo(LimitsEntry.noLimits("backup"));
    assertThat(entry.render()).isEqualTo("backup\t-");
    assertThatThrownBy(() -> LimitsProfile.parseEntries("l.conf", "backup soft\n"))
        .isInstanceOf(SysctlParseException.class);
    assertThatThrownBy(() -> LimitsProfile.parseEntries("l.conf", "backup - nofile\n"))
        .isInstanceOf(SysctlParseException.class)
        .hasMessageContaining("found 3 fields");
  }
}
