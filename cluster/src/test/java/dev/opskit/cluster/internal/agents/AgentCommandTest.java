package dev.opskit.cluster.internal.agents;

import static org.assertj.core.api.Assertions.assertThat;

import dev.opskit.cluster.testing.internal.AgentExec;
import dev.opskit.core.Command;
import dev.opskit.core.LocalExecutor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The argv an agent pod receives, and that its shell passes exactly the stdin bytes on. */
class AgentCommandTest {
  @Test
  void aCommandWithoutStdinEntersTheNodesNamespacesAndKeepsItsArgvApart() {
    List<String> argv = AgentCommand.argv(Command.of("sysctl", "-n", "net.core.somaxconn"));
    assertThat(argv)
        .containsExactly(
            "nsenter",
            "-t",
            "1",
            "-m",
            "-u",
            "-i",
            "-n",
            "-p",
            "--",
            "sysctl",
            "-n",
            "net.core.somaxconn");
    assertThat(AgentExec.decode(argv).orElseThrow())
        .isEqualTo(new AgentExec.Decoded(List.of("sysctl", "-n", "net.core.somaxconn"), 0));
  }

  @Test
  void aCommandWithStdinTellsThePodHowManyBytesToPassOn() {
    Command command = Command.of("iptables-restore", "--noflush").withStdin("*raw\nCOMMIT\n");
    List<String> argv = AgentCommand.argv(command);
    assertThat(argv.subList(0, 4)).containsExactly("sh", "-c", AgentCommand.STDIN_SCRIPT, "12");
    assertThat(AgentExec.decode(argv).orElseThrow())
        .isEqualTo(new AgentExec.Decoded(List.of("iptables-restore", "--noflush"), 12));
    assertThat(AgentExec.decode(List.of("sh", "-c", "rm -rf /", "12", "x"))).isEmpty();
    assertThat(AgentExec.decode(List.of("sleep", "1"))).isEmpty();
  }

  @Test
  void thePodsShellPassesExactlyTheAnnouncedBytesAndThenEndOfFile(@TempDir Path bin)
      throws Exception {
    // stands in for nsenter: drops its namespace options and runs the command
    Path nsenter = bin.resolve("nsenter");
    Files.writeString(nsenter, "#!/bin/sh\nshift 8\nexec \"$@\"\n");
    Files.setPosixFilePermissions(nsenter, PosixFilePermissions.fromString("rwxr-xr-x"));
    Command command = Command.of("sh", "-c", "cat; echo \"<eof>\"").withStdin("a b\nc\n");
    List<String> argv = AgentCommand.argv(command);
    // the exec stream stays open after stdin (no end-of-stdin before protocol v5): more bytes
    // follow
    Command inPod =
        Command.builder()
            .argv(argv)
            .stdin("a b\nc\nMORE".getBytes(java.nio.charset.StandardCharsets.UTF_8))
            .putEnv("PATH", bin + ":" + System.getenv("PATH"))
            .build();
    assertThat(LocalExecutor.create().execute(inPod).requireSuccess().stdoutUtf8())
        .isEqualTo("a b\nc\n<eof>\n");
  }
}
