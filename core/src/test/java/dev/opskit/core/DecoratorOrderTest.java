package dev.opskit.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The order of decorators as the README states it: the last one applied wraps first. */
class DecoratorOrderTest {

  @Test
  void sudoAppliedFirstRunsOutermost() throws Exception {
    FakeCommandExecutor fake = FakeCommandExecutor.create();
    fake.onArgvStartingWith("sudo").replyExit(0);

    fake.withSudo().inNetworkNamespace("lab").execute("iptables-save");

    assertThat(fake.argvs())
        .containsExactly(
            List.of("sudo", "-n", "--", "ip", "netns", "exec", "lab", "iptables-save"));
  }

  @Test
  void sudoAppliedLastRunsInsideTheNamespace() throws Exception {
    FakeCommandExecutor fake = FakeCommandExecutor.create();
    fake.onArgvStartingWith("ip").replyExit(0);

    fake.inNetworkNamespace("lab").withSudo().execute("iptables-save");

    assertThat(fake.argvs())
        .containsExactly(
            List.of("ip", "netns", "exec", "lab", "sudo", "-n", "--", "iptables-save"));
  }
}
