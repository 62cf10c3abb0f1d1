package dev.opskit.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.opskit.core.Command;
import dev.opskit.core.ExecResult;
import dev.opskit.core.LocalExecutor;
import dev.opskit.core.test.Privileged;
import dev.opskit.core.test.SshdServer;
import dev.opskit.core.test.TestNetworks;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the README's examples that change a host, as written, each inside a network namespace of its
 * own: the firewall ones in a JVM started there, with a private {@code /run} so that the applier's
 * host-side lock and journal stay out of the machine's own {@code /run}.
 */
@Privileged(tools = {"ip", "iptables", "unshare", "socat", "sshd", "ssh-keygen"})
@Timeout(180)
class ReadmeExamplesIT {
  private static final Duration TIMEOUT = Duration.ofSeconds(120);

  /** Runs the rest of argv with a fresh tmpfs on /run (and an sshd privilege separation dir). */
  private static final List<String> PRIVATE_RUN =
      List.of(
          "unshare",
          "--mount",
          "--propagation",
          "private",
          "sh",
          "-c",
          "mount -t tmpfs opskit-run /run && mkdir -p /run/sshd && exec \"$@\"",
          "sh");

  private final LocalExecutor local = LocalExecutor.create();

  @TempDir Path dir;

  @Test
  void coreExampleStreamsToAFileAndFromAFile() throws Exception {
    try (TestNetworks net = TestNetworks.create()) {
      String ns = net.namespace("rd-core");
      Path source = Files.writeString(dir.resolve("source"), "streamed\nbytes\n");
      Path copy = dir.resolve("copy");
      CoreExample.streaming(net.executor(ns), dir.resolve("dump"), source, copy);
      assertThat(copy).hasSameTextualContentAs(source);
      assertThat(dir.resolve("dump")).exists();
    }
  }

  @Test
  void iptablesExampleAppliesTheAllowlist() throws Exception {
    try (TestNetworks net = TestNetworks.create()) {
      String ns = net.namespace("rd-ipt");
      List<String> argv = new ArrayList<>(List.of("ip", "netns", "exec", ns));
      argv.addAll(PRIVATE_RUN);
      argv.addAll(
          List.of(
              "sh",
              "-c",
              // the example's check connects to 127.0.0.1:22: something must listen there
              "socat TCP-LISTEN:22,bind=127.0.0.1,reuseaddr,fork SYSTEM:true & listener=$!;"
                  + " \"$@\"; status=$?; kill $listener; exit $status",
              "sh"));
      argv.addAll(java(IptablesExample.class));
      ExecResult result = run(argv);

      assertThat(result.stdoutUtf8()).as(result.stderrUtf8()).isNotBlank();
      assertThat(net.exec(ns, "iptables-save", "-t", "raw").stdoutUtf8()).contains("OPSKIT-web");
    }
  }

  @Test
  void fleetExampleRollsOutOverSsh() throws Exception {
    try (TestNetworks net = TestNetworks.create();
        SshdServer keys = SshdServer.start(dir.resolve("sshd"))) {
      String ns = net.namespace("rd-fleet");
      List<String> sshd = new ArrayList<>(List.of("ip", "netns", "exec", ns));
      sshd.addAll(PRIVATE_RUN);
      sshd.addAll(
          List.of(
              "/usr/sbin/sshd",
              "-D",
              "-e",
              "-f",
              dir.resolve("sshd/sshd_config").toString(),
              "-o",
              "PidFile=none"));
      Process server = new ProcessBuilder(sshd).redirectErrorStream(true).start();
      try {
        awaitListening(ns, keys.port());
        Path inventory =
            Files.writeString(dir.resolve("inventory"), "node-1 " + keys.target() + "\n");
        List<String> argv = new ArrayList<>(List.of("ip", "netns", "exec", ns));
        argv.addAll(java(FleetExample.class));
        argv.addAll(
            List.of(
                inventory.toString(), keys.clientKey().toString(), keys.knownHosts().toString()));
        ExecResult result = run(argv);

        assertThat(result.stdoutUtf8()).as(result.stderrUtf8()).contains("node-1");
        assertThat(net.exec(ns, "iptables-save", "-t", "raw").stdoutUtf8()).contains("OPSKIT-web");
      } finally {
        server.destroy();
        server.waitFor();
      }
    }
  }

  private ExecResult run(List<String> argv) throws Exception {
    ExecResult result = local.execute(Command.of(argv).withTimeout(TIMEOUT));
    assertThat(result.exitCode())
        .as("%s\n%s", result.stdoutUtf8(), result.stderrUtf8())
        .hasValue(0);
    return result;
  }

  private static List<String> java(Class<?> main) {
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    return List.of(java.toString(), "-cp", System.getProperty("java.class.path"), main.getName());
  }

  private void awaitListening(String ns, int port) throws Exception {
    for (int i = 0; i < 200; i++) {
      String probe = "ss -ltn | grep -q '127.0.0.1:" + port + " '";
      if (local.execute(Command.of("ip", "netns", "exec", ns, "sh", "-c", probe)).isSuccess()) {
        return;
      }
      Thread.sleep(50);
    }
    throw new AssertionError("sshd did not listen on port " + port + " in " + ns);
  }
}
