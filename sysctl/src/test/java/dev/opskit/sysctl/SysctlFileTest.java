package dev.opskit.sysctl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class SysctlFileTest {

  @Test
  void parsesCommentsPrefixesAndWhitespacePerSysctlD() {
    String text =
        "# comment\n"
            + "; also a comment\n"
            + "   # indented comment\n"
            + "\n"
            + "   \t\n"
            + "fs.file-max=2097152\n"
            + "  net.ipv4.ip_forward   =   1   \n"
            + "-net.bridge.bridge-nf-call-iptables = 1\n"
            + " - vm.max_map_count = 262144\n"
            + "net.ipv4.tcp_rmem = 4096\t87380   6291456\n"
            + "kernel/domainname = example.com\n"
            + "kernel.core_pattern = |/usr/lib/core %p = %e # not a comment\n"
            + "net.ipv4.conf.eth0/100.rp_filter = 2\r\n"
            + "kernel.empty =\n";

    SysctlFile file = SysctlFile.parse("/etc/sysctl.d/10-x.conf", text);

    assertThat(file.entries())
        .extracting(e -> e.key().name(), SysctlEntry::value, SysctlEntry::ignoreFailure)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("fs.file-max", "2097152", false),
            org.assertj.core.groups.Tuple.tuple("net.ipv4.ip_forward", "1", false),
            org.assertj.core.groups.Tuple.tuple("net.bridge.bridge-nf-call-iptables", "1", true),
            org.assertj.core.groups.Tuple.tuple("vm.max_map_count", "262144", true),
            org.assertj.core.groups.Tuple.tuple(
                "net.ipv4.tcp_rmem", "4096\t87380   6291456", false),
            org.assertj.core.groups.Tuple.tuple("kernel.domainname", "example.com", false),
            org.assertj.core.groups.Tuple.tuple(
                "kernel.core_pattern", "|/usr/lib/core %p = %e # not a comment", false),
            org.assertj.core.groups.Tuple.tuple("net.ipv4.conf.eth0/100.rp_filter", "2", false),
            org.assertj.core.groups.Tuple.tuple("kernel.empty", "", false));
    assertThat(file.entries().get(0).line()).hasValue(6);
    assertThat(file.entries().get(8).line()).hasValue(14);
    assertThat(file.fileName()).isEqualTo("10-x.conf");
    assertThat(file.directory()).isEqualTo("/etc/sysctl.d");
  }

  @Test
  void lastAssignmentInAFileWins() {
    SysctlFile file = SysctlFile.parse("f.conf", "a.b = 1\nc.d = 2\na.b = 3\n");
    assertThat(file.lastEntry(SysctlKey.of("a/b")).map(SysctlEntry::value)).hasValue("3");
    assertThat(file.lastEntry(SysctlKey.of("x.y"))).isEmpty();
  }

  @Test
  void emptyAndCommentOnlyFilesHaveNoEntries() {
    assertThat(SysctlFile.parse("f.conf", "").entries()).isEmpty();
    assertThat(SysctlFile.parse("f.conf", "# only\n;comments\n\n").entries()).isEmpty();
  }

  @Test
  void lineWithoutAssignmentFailsWithItsLineNumber() {
    assertThatThrownBy(() -> SysctlFile.parse("/etc/sysctl.d/a.conf", "a.b = 1\n\nnet.ipv4.x\n"))
        .isInstanceOfSatisfying(
            SysctlParseException.class,
            e -> {
              assertThat(e.line()).isEqualTo(3);
              assertThat(e.file()).isEqualTo("/etc/sysctl.d/a.conf");
              assertThat(e).hasMessageStartingWith("/etc/sysctl.d/a.conf:3: not an assignment");
            });
  }

  @Test
  void traversalKeyInAFileFailsWithItsLineNumber() {
    assertThatThrownBy(() -> SysctlFile.parse("a.conf", "# x\n../../etc/passwd = 1\n"))
        .isInstanceOfSatisfying(SysctlParseException.class, e -> assertThat(e.line()).isEqualTo(2))
        .hasMessageContaining("sysctl key");
    assertThatThrownBy(() -> SysctlFile.parse("a.conf", "= 1\n"))
        .isInstanceOf(SysctlParseException.class)
        .hasMessageContaining("must not be empty");
  }

  @Test
  void controlCharactersAndOverlongValuesFailWithLineNumbers() {
    assertThatThrownBy(() -> SysctlFile.parse("a.conf", "a.b = 1\u0007\n"))
        .isInstanceOfSatisfying(SysctlParseException.class, e -> assertThat(e.line()).isEqualTo(1))
        .hasMessageContaining("control characters");
    assertThatThrownBy(() -> SysctlFile.parse("a.conf", "\na.b = " + "9".repeat(10_000)))
        .isInstanceOfSatisfying(SysctlParseException.class, e -> assertThat(e.line()).isEqualTo(2))
        .hasMessageContaining("10000 characters long");
  }

  @Test
  void renderRoundTripsThroughParse() {
    SysctlFile file =
        SysctlFile.of(
            "/etc/sysctl.d/50-x.conf",
            List.of(
                SysctlEntry.of("fs.file-max", "2097152"),
                SysctlEntry.builder()
                    .key(SysctlKey.of("net/bridge/bridge-nf-call-iptables"))
                    .value("1")
                    .ignoreFailure(true)
                    .build(),
                SysctlEntry.of("net.ipv4.tcp_rmem", "4096 87380 6291456"),
                SysctlEntry.of("net.ipv4.conf.eth0/100.rp_filter", "2")));

    String text = file.render();
    SysctlFile again = SysctlFile.parse(file.path(), text);

    assertThat(text)
        .isEqualTo(
            "fs.file-max = 2097152\n"
                + "-net.bridge.bridge-nf-call-iptables = 1\n"
                + "net.ipv4.tcp_rmem = 4096 87380 6291456\n"
                + "net.ipv4.conf.eth0/100.rp_filter = 2\n");
    assertThat(again).isEqualTo(file);
    assertThat(again.render()).isEqualTo(text);
  }

  @Test
  void entryRejectsInjectedLinesAndOverlongValues() {
    assertThatThrownBy(() -> SysctlEntry.of("kernel.x", "1\nkernel.core_pattern = |/tmp/evil"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("line break");
    assertThatThrownBy(() -> SysctlEntry.of("kernel.x", "1\r"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("line break");
    assertThatThrownBy(() -> SysctlEntry.of("kernel.x", "x".repeat(10_000)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("limited to 4096");
  }

  /** A vendor file in the shape distributions ship: globs, exclusions, '-' assignments. */
  private static final String VENDOR =
      "# vendor defaults\n"
          + "; also a comment\n"
          + "kernel.sysrq = 176\n"
          + "net.ipv4.conf.default.log_martians = 1\n"
          + "net.ipv4.conf.*.log_martians = 1\n"
          + "-net.ipv4.conf.lo.log_martians\n"
          + "-net.core.busy_poll = 50\n"
          + "  net/ipv4/conf/eth0.42/arp_filter\t=\t1  \n"
          + "kernel.hostname =\n"
          + "net.ipv4.conf.wlan?.rp_filter = 2\n"
          + "net.ipv4.conf.[ew]*.accept_redirects = 0\n";

  @Test
  void dashKeyWithoutAssignmentIsAnExclusionNotAnError() {
    SysctlFile file = SysctlFile.parse("/usr/lib/sysctl.d/40-vendor.conf", VENDOR);

    SysctlEntry exclusion = file.entries().get(3);
    assertThat(exclusion.exclusion()).isTrue();
    assertThat(exclusion.key().name()).isEqualTo("net.ipv4.conf.lo.log_martians");
    assertThat(exclusion.value()).isEmpty();
    assertThat(exclusion.ignoreFailure()).isFalse();
    assertThat(exclusion.line()).hasValue(6);
    assertThat(file.assignments()).noneMatch(SysctlEntry::exclusion).hasSize(8);
    assertThat(file.lastEntry(exclusion.key())).isEmpty();
  }

  @Test
  void vendorFileGrammarIsReadAsSystemdReadsIt() {
    SysctlFile file = SysctlFile.parse("/usr/lib/sysctl.d/40-vendor.conf", VENDOR);

    assertThat(file.entries())
        .extracting(e -> e.line().getAsInt())
        .containsExactly(3, 4, 5, 6, 7, 8, 9, 10, 11);
    assertThat(file.entries().get(2).key().isPattern()).isTrue();
    SysctlEntry ignored = file.entries().get(4);
    assertThat(ignored.ignoreFailure()).isTrue();
    assertThat(ignored.value()).isEqualTo("50");
    SysctlEntry slashed = file.entries().get(5);
    assertThat(slashed.key().relativePath()).isEqualTo("net/ipv4/conf/eth0.42/arp_filter");
    assertThat(slashed.value()).as("blanks around '=' and the value are dropped").isEqualTo("1");
    assertThat(file.entries().get(6).value()).as("an empty value is a value").isEmpty();
    assertThat(file.entries().get(7).key().relativePath())
        .isEqualTo("net/ipv4/conf/wlan?/rp_filter");
    assertThat(file.entries().get(8).key().relativePath())
        .isEqualTo("net/ipv4/conf/[ew]*/accept_redirects");
  }

  @Test
  void vendorFileRendersBackToAnEqualModel() {
    SysctlFile file = SysctlFile.parse("/usr/lib/sysctl.d/40-vendor.conf", VENDOR);

    String text = file.render();
    SysctlFile again = SysctlFile.parse(file.path(), text);

    assertThat(text).contains("\n-net.ipv4.conf.lo.log_martians\n");
    assertThat(text).contains("\n-net.core.busy_poll = 50\n");
    assertThat(again).isEqualTo(file);
  }

  @Test
  void tolerantParseSkipsWhatTheLoadersSkipAndSaysWhy() {
    SysctlFile file =
        SysctlFile.parseTolerant(
            "/etc/sysctl.d/60-x.conf", "kernel.sysrq = 1\nnot an assignment\nvm.swappiness = 10\n");

    assertThat(file.entries())
        .extracting(e -> e.key().name())
        .containsExactly("kernel.sysrq", "vm.swappiness");
    assertThat(file.problems()).singleElement().asString().startsWith("/etc/sysctl.d/60-x.conf:2:");
    assertThat(file).isEqualTo(SysctlFile.parse(file.path(), file.render()));
  }

  @Test
  void profileFromAFileAppliesExclusionsAndRefusesGlobs() {
    SysctlProfile profile =
        SysctlProfile.fromFile(
            "lab",
            SysctlFile.parse(
                "lab.conf",
                "net.core.somaxconn = 1\nnet.ipv4.ip_forward = 1\n-net.core.somaxconn\n"));
    assertThat(profile.values()).containsOnlyKeys(SysctlKey.of("net.ipv4.ip_forward"));

    assertThatThrownBy(
            () ->
                SysctlProfile.fromFile(
                    "lab", SysctlFile.parse("lab.conf", "net.ipv4.conf.*.rp_filter = 1\n")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("lab.conf:1")
        .hasMessageContaining("glob key net.ipv4.conf.*.rp_filter");
  }
}
