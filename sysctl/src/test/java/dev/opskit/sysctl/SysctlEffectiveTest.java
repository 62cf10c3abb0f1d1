package dev.opskit.sysctl;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class SysctlEffectiveTest {
  private static final SysctlKey FILE_MAX = SysctlKey.of("fs.file-max");
  private static final SysctlKey FORWARD = SysctlKey.of("net.ipv4.ip_forward");

  @Test
  void filesApplyInNameOrderAcrossFoldersAndTheLastAssignmentWins() {
    SysctlEffective effective =
        SysctlEffective.of(
            List.of(
                SysctlFile.parse("/etc/sysctl.d/10-early.conf", "fs.file-max = 1000\n"),
                SysctlFile.parse(
                    "/usr/lib/sysctl.d/50-default.conf",
                    "fs.file-max = 9223372036854775807\nnet.ipv4.ip_forward = 0\n"),
                SysctlFile.parse("/run/sysctl.d/70-run.conf", "net.ipv4.ip_forward = 1\n")));

    assertThat(effective.appliedFiles())
        .extracting(SysctlFile::path)
        .containsExactly(
            "/etc/sysctl.d/10-early.conf",
            "/usr/lib/sysctl.d/50-default.conf",
            "/run/sysctl.d/70-run.conf");
    assertThat(effective.values())
        .containsEntry(FILE_MAX, "9223372036854775807")
        .containsEntry(FORWARD, "1");
    assertThat(effective.explain(FILE_MAX))
        .isEqualTo(
            "fs.file-max = 9223372036854775807 from /usr/lib/sysctl.d/50-default.conf:1\n"
                + "  overrides 1000 from /etc/sysctl.d/10-early.conf:1");
  }

  @Test
  void sameNamedFileInEtcHidesTheVendorFile() {
    SysctlEffective effective =
        SysctlEffective.of(
            List.of(
                SysctlFile.parse("/usr/lib/sysctl.d/99-x.conf", "fs.file-max = 5\nvm.a = 1\n"),
                SysctlFile.parse("/usr/local/lib/sysctl.d/99-x.conf", "fs.file-max = 6\n"),
                SysctlFile.parse("/etc/sysctl.d/99-x.conf", "fs.file-max = 7\n")));

    assertThat(effective.appliedFiles())
        .extracting(SysctlFile::path)
        .containsExactly("/etc/sysctl.d/99-x.conf");
    assertThat(effective.hiddenFiles())
        .containsEntry("/usr/lib/sysctl.d/99-x.conf", "/etc/sysctl.d/99-x.conf")
        .containsEntry("/usr/local/lib/sysctl.d/99-x.conf", "/etc/sysctl.d/99-x.conf");
    assertThat(effective.winner(SysctlKey.of("vm.a"))).isEmpty();
    assertThat(effective.explain(FILE_MAX))
        .contains("fs.file-max = 7 from /etc/sysctl.d/99-x.conf:1")
        .contains("/usr/lib/sysctl.d/99-x.conf is hidden by /etc/sysctl.d/99-x.conf");
  }

  @Test
  void maskedFileIsEmptyAndHidesTheVendorFile() {
    SysctlEffective effective =
        SysctlEffective.of(
            List.of(
                SysctlFile.parse("/usr/lib/sysctl.d/50-pid-max.conf", "kernel.pid_max = 4194304\n"),
                SysctlFile.parse("/etc/sysctl.d/50-pid-max.conf", "")));
    assertThat(effective.values()).isEmpty();
    assertThat(effective.explain(SysctlKey.of("kernel.pid_max"))).contains("not set by any");
  }

  @Test
  void laterNameWinsEvenFromALowerPrecedenceFolderAndSysctlConfComesLast() {
    SysctlEffective effective =
        SysctlEffective.of(
            List.of(
                SysctlFile.parse("/etc/sysctl.conf", "net.ipv4.ip_forward = 0\n"),
                SysctlFile.parse("/etc/sysctl.d/99-opskit-node.conf", "net.ipv4.ip_forward = 1\n"),
                SysctlFile.parse("/usr/lib/sysctl.d/00-base.conf", "net.ipv4.ip_forward = 0\n")));

    assertThat(effective.winner(FORWARD))
        .hasValueSatisfying(s -> assertThat(s.path()).isEqualTo("/etc/sysctl.conf"));
    assertThat(effective.assignments(FORWARD))
        .extracting(SysctlSource::path)
        .containsExactly(
            "/usr/lib/sysctl.d/00-base.conf",
            "/etc/sysctl.d/99-opskit-node.conf",
            "/etc/sysctl.conf");
  }

  private static final SysctlKey ETH0 = SysctlKey.of("net.ipv4.conf.eth0.rp_filter");
  private static final SysctlKey LO = SysctlKey.of("net.ipv4.conf.lo.rp_filter");
  private static final SysctlKey DEFAULT = SysctlKey.of("net.ipv4.conf.default.rp_filter");

  @Test
  void aSpecificKeyBeatsAGlobEvenFromAnEarlierFile() {
    SysctlEffective effective =
        SysctlEffective.of(
            List.of(
                SysctlFile.parse(
                    "/etc/sysctl.d/10-eth0.conf", "net.ipv4.conf.eth0.rp_filter = 0\n"),
                SysctlFile.parse(
                    "/usr/lib/sysctl.d/50-all.conf", "net.ipv4.conf.*.rp_filter = 2\n")));

    assertThat(effective.winner(ETH0)).map(SysctlSource::value).hasValue("0");
    assertThat(effective.winner(LO)).map(SysctlSource::value).hasValue("2");
    assertThat(effective.winner(LO))
        .map(SysctlSource::location)
        .hasValue("/usr/lib/sysctl.d/50-all.conf:1");
    assertThat(effective.explain(LO)).contains("(glob net.ipv4.conf.*.rp_filter)");
  }

  @Test
  void theLastMatchingGlobWins() {
    SysctlEffective effective =
        SysctlEffective.of(
            List.of(
                SysctlFile.parse("/usr/lib/sysctl.d/50-a.conf", "net.ipv4.conf.*.rp_filter = 2\n"),
                SysctlFile.parse("/etc/sysctl.d/60-b.conf", "net.ipv4.conf.e*.rp_filter = 1\n")));

    assertThat(effective.winner(ETH0)).map(SysctlSource::value).hasValue("1");
    assertThat(effective.winner(LO)).map(SysctlSource::value).hasValue("2");
  }

  @Test
  void anExclusionKeepsAKeyOutOfGlobsButNotOutOfItsOwnLaterAssignment() {
    SysctlFile vendor =
        SysctlFile.parse(
            "/usr/lib/sysctl.d/50-default.conf",
            "net.ipv4.conf.default.rp_filter = 2\n"
                + "net.ipv4.conf.*.rp_filter = 2\n"
                + "-net.ipv4.conf.lo.rp_filter\n");
    SysctlEffective vendorOnly = SysctlEffective.of(List.of(vendor));
    assertThat(vendorOnly.winner(LO)).isEmpty();
    assertThat(vendorOnly.exclusion(LO)).map(SysctlSource::line).hasValue(3);
    assertThat(vendorOnly.winner(ETH0)).map(SysctlSource::value).hasValue("2");
    assertThat(vendorOnly.winner(DEFAULT)).map(SysctlSource::line).hasValue(1);
    assertThat(vendorOnly.explain(LO)).contains("excluded from globs by");

    SysctlEffective overridden =
        SysctlEffective.of(
            List.of(
                vendor,
                SysctlFile.parse("/etc/sysctl.d/90-lo.conf", "net.ipv4.conf.lo.rp_filter = 0\n")));
    assertThat(overridden.winner(LO)).map(SysctlSource::value).hasValue("0");
  }

  @Test
  void anExclusionAfterAnAssignmentOfTheSameKeyLeavesItUnset() {
    SysctlEffective effective =
        SysctlEffective.of(
            List.of(
                SysctlFile.parse("/usr/lib/sysctl.d/50-a.conf", "kernel.sysrq = 16\n"),
                SysctlFile.parse("/etc/sysctl.d/90-b.conf", "-kernel.sysrq\n")));

    assertThat(effective.winner(SysctlKey.of("kernel.sysrq"))).isEmpty();
    assertThat(effective.values()).doesNotContainKey(SysctlKey.of("kernel.sysrq"));
  }

  @Test
  void theSameValueAgainOnlyMergesTheIgnoreFailureFlag() {
    SysctlEffective effective =
        SysctlEffective.of(
            List.of(
                SysctlFile.parse("/usr/lib/sysctl.d/50-a.conf", "net.core.default_qdisc = fq\n"),
                SysctlFile.parse("/etc/sysctl.d/90-b.conf", "-net.core.default_qdisc = fq\n")));

    SysctlSource winner = effective.winner(SysctlKey.of("net.core.default_qdisc")).orElseThrow();
    assertThat(winner.path()).isEqualTo("/usr/lib/sysctl.d/50-a.conf");
    assertThat(winner.ignoreFailure()).isTrue();
  }

  @Test
  void runHidesUsrLibAndUsrLibHidesLib() {
    SysctlEffective effective =
        SysctlEffective.of(
            List.of(
                SysctlFile.parse("/lib/sysctl.d/50-x.conf", "kernel.pid_max = 1\n"),
                SysctlFile.parse("/usr/lib/sysctl.d/50-x.conf", "kernel.pid_max = 2\n"),
                SysctlFile.parse("/run/sysctl.d/50-x.conf", "kernel.pid_max = 3\n")));

    assertThat(effective.winner(SysctlKey.of("kernel.pid_max")))
        .map(SysctlSource::path)
        .hasValue("/run/sysctl.d/50-x.conf");
    assertThat(effective.hiddenFiles())
        .containsEntry("/lib/sysctl.d/50-x.conf", "/run/sysctl.d/50-x.conf")
        .containsEntry("/usr/lib/sysctl.d/50-x.conf", "/run/sysctl.d/50-x.conf");
  }
}
