package dev.opskit.cluster.testing.internal;

import dev.opskit.core.Command;
import dev.opskit.core.internal.FramedCommand;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * What an opskit node pod (a node agent, or the exec pod of {@code NodeExecutor}) does with an exec
 * request, as the fixture plays it. opskit execs {@code sh -c DECODER} and sends the command (its
 * argv, then its stdin) framed on the exec's stdin; the decoder ends by running {@code RUNNER
 * "$@"}, where the runner ({@link #ENTER_NODE} or {@link #CHROOT_HOST}) puts the command on the
 * node. The fixture runs that very script in a real local shell as the pod would, with a stand-in
 * for the runner on the PATH that, instead of entering the node, hands the decoded argv and stdin
 * back (one file per word). The fixture then answers with that command, so a test node can be a
 * network namespace or an in-memory host.
 */
public final class AgentExec {
  /** The runner of opskit's node agents. */
  public static final List<String> ENTER_NODE =
      List.of("nsenter", "-t", "1", "-m", "-u", "-i", "-n", "-p", "--");

  /** The runner of opskit's single-node exec pods. */
  public static final List<String> CHROOT_HOST = List.of("chroot", "/host");

  /** The exit status of the decoder when the framing on stdin does not parse. */
  public static final int MALFORMED = FramedCommand.MALFORMED;

  /** The exec argv of an opskit agent command. */
  public static final List<String> EXEC = exec(ENTER_NODE);

  private AgentExec() {}

  /** The exec argv of an opskit command run through {@code runner}. */
  public static List<String> exec(List<String> runner) {
    return FramedCommand.exec(runner);
  }

  /**
   * Stands in for the runner's first word: checks the options the decoder passes (the runner's
   * other words), then writes each word of the command to its own file ({@code 1}, {@code 2}, …)
   * and its stdin to {@code stdin}.
   */
  private static String standIn(List<String> runner) {
    List<String> options = runner.subList(1, runner.size());
    StringBuilder given = new StringBuilder();
    for (int i = 1; i <= options.size(); i++) {
      given.append(i == 1 ? "" : " ").append("${").append(i).append('}');
    }
    return String.join(
        "\n",
        "#!/bin/sh",
        "[ \"" + given + "\" = \"" + String.join(" ", options) + "\" ] || exit 125",
        "shift " + options.size(),
        "i=0",
        "for a; do i=$((i + 1)); printf %s \"$a\" > \"$OPSKIT_AGENT_OUT/$i\" || exit 125; done",
        "exec cat > \"$OPSKIT_AGENT_OUT/stdin\"",
        "");
  }

  /** Whether {@code exec} is the argv of an opskit agent command. */
  public static boolean isAgentCommand(List<String> exec) {
    return exec.equals(EXEC);
  }

  /** The runner whose decoder {@code exec} runs, when it is an opskit command at all. */
  public static Optional<List<String>> runner(List<String> exec) {
    return Stream.of(ENTER_NODE, CHROOT_HOST).filter(r -> exec.equals(exec(r))).findFirst();
  }

  /**
   * How the decoder ended: the command it handed on (when it exited 0), its exit status and its
   * stderr (the reason when the framing did not parse).
   */
  public record Decoded(Optional<Command> command, int exitCode, String stderr) {}

  /**
   * Starts the decoder for {@code runner} in {@code shell} (such as {@code ["sh"]}), with {@code
   * pathFirst} folders ahead of the runner's stand-in and the inherited PATH (to choose its {@code
   * head}).
   */
  public static Session start(List<String> runner, List<String> shell, List<Path> pathFirst)
      throws IOException {
    return new Session(runner, shell, pathFirst);
  }

  /**
   * Starts the agents' decoder in {@code shell} (such as {@code ["sh"]}), with {@code pathFirst}
   * folders ahead of the stand-in {@code nsenter} and the inherited PATH (to choose its {@code
   * head}).
   */
  public static Session start(List<String> shell, List<Path> pathFirst) throws IOException {
    return start(ENTER_NODE, shell, pathFirst);
  }

  /** Starts the decoder for {@code runner} in the local {@code sh}. */
  public static Session start(List<String> runner) throws IOException {
    return start(runner, List.of("sh"), List.of());
  }

  /**
   * One run of the decoder: feed it the exec's stdin as it arrives, then {@link #await}. The stream
   * is never closed (as the exec protocol before v5 cannot), so the decoder must stop reading by
   * itself. Close to end the shell and delete its files.
   */
  public static final class Session implements AutoCloseable {
    private final Path dir;
    private final Path out;
    private final Process process;
    private final OutputStream stdin;

    private Session(List<String> runner, List<String> shell, List<Path> pathFirst)
        throws IOException {
      dir = Files.createTempDirectory("opskit-agent-");
      try {
        Path bin = Files.createDirectory(dir.resolve("bin"));
        out = Files.createDirectory(dir.resolve("out"));
        Path standIn = bin.resolve(runner.get(0));
        Files.writeString(standIn, standIn(runner));
        Files.setPosixFilePermissions(standIn, PosixFilePermissions.fromString("rwx------"));
        List<String> argv = new ArrayList<>(shell);
        argv.add("-c");
        argv.add(FramedCommand.decoder(runner));
        ProcessBuilder builder =
            new ProcessBuilder(argv)
                .redirectOutput(dir.resolve("stdout").toFile())
                .redirectError(dir.resolve("stderr").toFile());
        List<String> path = new ArrayList<>();
        pathFirst.forEach(p -> path.add(p.toString()));
        path.add(bin.toString());
        path.add(System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
        builder.environment().put("PATH", String.join(":", path));
        builder.environment().put("OPSKIT_AGENT_OUT", out.toString());
        process = builder.start();
        stdin = process.getOutputStream();
      } catch (IOException | RuntimeException e) {
        delete(dir);
        throw e;
      }
    }

    /** Passes {@code bytes} to the decoder; ignored once it stopped reading. */
    public void write(byte[] bytes) {
      try {
        stdin.write(bytes);
        stdin.flush();
      } catch (IOException e) {
        // the decoder has read all it needs (or died): the rest is not its input
      }
    }

    /** A future that completes when the decoder ended. */
    public CompletableFuture<Process> onExit() {
      return process.onExit();
    }

    /**
     * Waits up to {@code timeoutMillis} for the decoder to end.
     *
     * @throws IOException when it did not end in time (it is then killed) or its files are unread
     */
    public Decoded await(long timeoutMillis) throws IOException, InterruptedException {
      if (!process.waitFor(timeoutMillis, TimeUnit.MILLISECONDS)) {
        process.destroyForcibly();
        throw new IOException("the agent's decoder did not end within " + timeoutMillis + " ms");
      }
      int exit = process.exitValue();
      String stderr = text(dir.resolve("stderr"));
      Path input = out.resolve("stdin");
      if (exit != 0 || !Files.exists(input)) {
        return new Decoded(Optional.empty(), exit, stderr);
      }
      List<String> argv = new ArrayList<>();
      for (int i = 1; Files.exists(out.resolve(Integer.toString(i))); i++) {
        argv.add(text(out.resolve(Integer.toString(i))));
      }
      Command command = Command.builder().argv(argv).stdin(Files.readAllBytes(input)).build();
      return new Decoded(Optional.of(command), exit, stderr);
    }

    @Override
    public void close() {
      process.destroyForcibly();
      delete(dir);
    }

    private static String text(Path file) throws IOException {
      return new String(Files.readAllBytes(file), StandardCharsets.UTF_8);
    }

    private static void delete(Path dir) {
      try (Stream<Path> files = Files.walk(dir)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }
}
