package dev.opskit.examples;

import dev.opskit.core.Command;
import dev.opskit.core.CommandExecutor;
import dev.opskit.core.ExecResult;
import dev.opskit.core.LocalExecutor;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Runs commands through the local executor: argv lists, typed results, timeouts. The marked part is
 * quoted in the README, and a test keeps the two identical.
 */
public final class CoreExample {
  private CoreExample() {}

  /** Prints this machine's kernel release and shows a timeout. */
  public static void main(String[] args) throws IOException, InterruptedException {
    // [readme]
    CommandExecutor local = LocalExecutor.create();
    ExecResult result = local.execute(Command.of("uname", "-r")); // argv, never a shell line
    String kernel = result.requireSuccess().stdoutUtf8().strip(); // non-zero exit is data

    Command slow = Command.of("sleep", "60").withTimeout(Duration.ofMillis(200));
    ExecResult stopped = local.execute(slow); // the whole process tree is killed
    assert stopped.timedOut() && stopped.exitCode().isEmpty();
    // [/readme]
    System.out.println("kernel " + kernel + ", timed out: " + stopped.timedOut());
  }

  /** Streams an output of any size to a file, and a file to a command's stdin. */
  static void streaming(CommandExecutor node, Path dump, Path source, Path copy)
      throws IOException, InterruptedException {
    // [readme]
    try (OutputStream file = Files.newOutputStream(dump)) { // stdout and stderr sinks
      node.execute(Command.of("iptables-save"), file, System.err).requireSuccess();
    }
    try (InputStream in = Files.newInputStream(source)) { // stdin streamed, then end-of-file
      node.execute(Command.of("cp", "/dev/stdin", copy.toString()), in, System.out, System.err);
    }
    // [/readme]
  }
}
