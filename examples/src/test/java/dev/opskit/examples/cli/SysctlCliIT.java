package dev.opskit.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.opskit.core.test.Privileged;
import dev.opskit.core.test.TestNetworks;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@Privileged(tools = {"ip", "sysctl"})
class SysctlCliIT {

  @Test
  void applyInsideANamespaceThenNothingToDo(@TempDir Path dir) throws Exception {
    Path profile = dir.resolve("lab.conf");
    Files.writeString(profile, "net.core.somaxconn = 1234\nnet.ipv4.ip_forward = 1\n");
    Path dropIns = Files.createDirectory(dir.resolve("sysctl.d"));
    try (TestNetworks net = TestNetworks.create()) {
      String ns = net.namespace("sysctl");
      String[] apply = {
        "sysctl",
        "apply",
        "--netns",
        ns,
        "--profile",
        profile.toString(),
        "--sysctl-dir",
        dropIns.toString()
      };

      CliRun first = CliRun.of(apply);
      assertThat(first.exitCode).as(first.toString()).isZero();
      assertThat(first.out).contains("applied and verified");
      assertThat(net.exec(ns, "cat", "/proc/sys/net/core/somaxconn").stdoutUtf8().strip())
          .isEqualTo("1234");
      assertThat(Files.readString(dropIns.resolve("99-opskit-lab.conf")))
          .contains("net.core.somaxconn = 1234");

      CliRun second = CliRun.of(apply);
      assertThat(second.exitCode).isZero();
      assertThat(second.out).contains("already up to date");

      CliRun diff = CliRun.of("sysctl", "diff", "--netns", ns, "--profile", profile.toString());
      assertThat(diff.out).contains("EQUAL net.core.somaxconn");
    }
  }

  @Test
  void badKeyIsExitTwo() {
    CliRun run = CliRun.of("sysctl", "diff", "--set", "net..core=1");
    assertThat(run.exitCode).isEqualTo(2);
    assertThat(run.err).contains("'net..core'");
  }
}
