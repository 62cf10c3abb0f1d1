package dev.opskit.examples.bench;

import dev.opskit.core.Command;
import dev.opskit.core.LocalExecutor;
import java.io.IOException;
import java.util.Arrays;

/**
 * Runs {@code true} many times through {@link LocalExecutor} and through a bare {@link
 * ProcessBuilder} that reads both streams, alternating rounds so that both see the same machine
 * load, and prints the mean and median time per command.
 *
 * <p>Usage: {@code java -cp examples/target/opskit.jar
 * dev.opskit.examples.bench.LocalExecutorBenchmark [runs]}
 */
public final class LocalExecutorBenchmark {
  private LocalExecutorBenchmark() {}

  /** Entry point; the optional argument is the number of measured runs per contender. */
  public static void main(String[] args) throws Exception {
    int runs = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
    int rounds = 10;
    int perRound = Math.max(1, runs / rounds);
    LocalExecutor local = LocalExecutor.create();
    Command command = Command.of("true");

    for (int i = 0; i < 200; i++) {
      local.execute(command).requireSuccess();
      bare();
    }
    long[] opskit = new long[perRound * rounds];
    long[] bare = new long[perRound * rounds];
    int n = 0;
    for (int round = 0; round < rounds; round++) {
      for (int i = 0; i < perRound; i++) {
        long start = System.nanoTime();
        local.execute(command).requireSuccess();
        opskit[n + i] = System.nanoTime() - start;
      }
      for (int i = 0; i < perRound; i++) {
        long start = System.nanoTime();
        bare();
        bare[n + i] = System.nanoTime() - start;
      }
      n += perRound;
    }
    System.out.printf("local `true` x %d (after 200 warm-up runs each)%n", n);
    print("LocalExecutor", opskit);
    print("bare ProcessBuilder", bare);
    System.out.printf("LocalExecutor / bare (mean): %.3f%n", mean(opskit) / mean(bare));
  }

  private static void bare() throws IOException, InterruptedException {
    Process process = new ProcessBuilder("true").start();
    process.getOutputStream().close();
    process.getInputStream().readAllBytes();
    process.getErrorStream().readAllBytes();
    if (process.waitFor() != 0) {
      throw new IllegalStateException("true failed");
    }
  }

  static void print(String name, long[] nanos) {
    long[] sorted = nanos.clone();
    Arrays.sort(sorted);
    System.out.printf(
        "%-22s mean %.3f ms  median %.3f ms  p95 %.3f ms%n",
        name,
        mean(nanos) / 1e6,
        sorted[sorted.length / 2] / 1e6,
        sorted[(int) (sorted.length * 0.95)] / 1e6);
  }

  static double mean(long[] nanos) {
    return Arrays.stream(nanos).average().orElse(0);
  }
}
