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
}
