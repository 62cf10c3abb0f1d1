package dev.opskit.examples.bench;

import dev.opskit.examples.cli.OpskitCli;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The workload the {@code opskit} launcher's class-data archive is made from: the command line's
 * help, version, image listings and pod reaping (dry run and real) against the embedded API, so
 * that the archive holds the classes those commands load. The build runs it through the launcher
 * ({@code OPSKIT_CDS=train examples/target/opskit}); it prints only a failure.
 */
public final class ClassDataTraining {
  private ClassDataTraining() {}

  /** Runs the workload and exits 0, or 1 when a command failed. */
  public static void main(String[] args) throws IOException {
    Path dir = Files.createTempDirectory("opskit-cds-training");
    int status = 0;
    try (CliWorkload workload = CliWorkload.start(1_200, 300, dir)) {
      String kubeconfig = workload.kubeconfig.toString();
      List<List<String>> commands =
          List.of(
              List.of("--version"),
              List.of("--help"),
              List.of("pods", "reap", "--help"),
              List.of("images", "-A", "-o", "json", "--kubeconfig", kubeconfig),
              List.of("images", "-A", "--kubeconfig", kubeconfig),
              List.of("images", "-A", "--unique", "-o", "csv", "--kubeconfig", kubeconfig),
              List.of("pods", "reap", "-A", "--dry-run", "--kubeconfig", kubeconfig),
              List.of("pods", "reap", "-A", "-o", "json", "--kubeconfig", kubeconfig),
              List.of("pods", "reap", "-A", "--min-age", "0s", "--kubeconfig", kubeconfig));
      for (List<String> command : commands) {
        workload.restoreFailed();
        StringWriter err = new StringWriter();
        int exit =
            OpskitCli.run(
                command.toArray(new String[0]),
                new PrintWriter(OutputStream.nullOutputStream()),
                new PrintWriter(err));
        if (exit != 0) {
          System.err.println(
              "opskit " + String.join(" ", command) + " exited " + exit + ": " + err);
          status = 1;
        }
      }
    } finally {
      deleteTree(dir);
    }
    // The API server's threads would keep the JVM alive; the archive is written at exit.
    System.exit(status);
  }

  private static void deleteTree(Path dir) throws IOException {
    List<Path> paths = new ArrayList<>();
    try (var walk = Files.walk(dir)) {
      walk.forEach(paths::add);
    }
    for (int i = paths.size() - 1; i >= 0; i--) {
      Files.deleteIfExists(paths.get(i));
    }
  }
}
