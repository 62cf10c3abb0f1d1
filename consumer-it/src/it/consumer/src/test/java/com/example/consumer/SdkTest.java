package com.example.consumer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.opskit.core.Command;
import dev.opskit.core.ExecResult;
import dev.opskit.core.FakeCommandExecutor;
import dev.opskit.iptables.IpFamily;
import dev.opskit.iptables.IptablesPlan;
import dev.opskit.iptables.IptablesRuleSet;
import dev.opskit.iptables.NodePortAllowlist;
import dev.opskit.iptables.PortRange;
import dev.opskit.sysctl.SysctlProfile;
import org.junit.jupiter.api.Test;

/**
 * Unit tests a user writes on the SDK, without root or a host. Tests of the appliers on the
 * in-memory FakeHost (opskit-testing) and of cluster code with the Kubernetes API extension
 * (opskit-cluster-testing) belong in this project too.
 */
class SdkTest {

  @Test
  void scriptedExecutorAnswersAndRecords() throws Exception {
    FakeCommandExecutor fake = FakeCommandExecutor.create();
    fake.onArgv("uname", "-r").replyStdout("6.1.0\n");

    ExecResult result = fake.execute(Command.of("uname", "-r"));

    assertThat(result.stdoutUtf8()).isEqualTo("6.1.0\n");
    assertThat(fake.argvs()).hasSize(1);
  }

  @Test
  void secretsUnderSudoStayOutOfArgv() throws Exception {
    FakeCommandExecutor fake = FakeCommandExecutor.create();
    fake.onArgvStartingWith("sudo").replyExit(0);
    Command deploy = Command.builder().addArgv("deploy").putEnv("API_TOKEN", "s3cret").build();

    fake.withSudo().execute(deploy);

    assertThat(fake.commands().get(0).toString()).doesNotContain("s3cret");
    assertThat(fake.argvs().get(0)).noneMatch(arg -> arg.contains("s3cret"));
  }

  @Test
  void allowlistPlansAgainstAnEmptyHostAndNotAgainstItself() {
    NodePortAllowlist allowlist =
        NodePortAllowlist.builder()
            .name("web")
            .addPorts(PortRange.of(30001))
            .addAllowedCidrs("198.18.0.10")
            .build();
    IptablesRuleSet desired = allowlist.ruleSet(IpFamily.IPV4);
    IptablesRuleSet empty = IptablesRuleSet.parse(IpFamily.IPV4, "");

    assertThat(desired.render()).contains("OPSKIT-web").contains("198.18.0.10/32");
    assertThat(IptablesPlan.of(empty, desired).isEmpty()).isFalse();
    assertThat(IptablesPlan.of(desired, desired).isEmpty()).isTrue();
  }

  @Test
  void sysctlProfileRendersItsDropIn() {
    SysctlProfile profile =
        SysctlProfile.builder()
            .name("inotify")
            .set("fs.inotify.max_user_watches", "524288")
            .build();

    assertThat(profile.fileName()).isEqualTo("99-opskit-inotify.conf");
    assertThat(profile.render()).contains("fs.inotify.max_user_watches").contains("524288");
  }
}
