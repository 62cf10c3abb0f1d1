package dev.opskit.core;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

/**
 * Runs commands on this machine with {@link ProcessBuilder}. Standard output and error are drained
 * concurrently (a command writing megabytes to both never deadlocks), stdin is written from a
 * separate thread, and a timeout or an interrupt kills the whole process tree, children included.
 *
 * <pre>{@code
 * CommandExecutor local = LocalExecutor.create();
 * ExecResult result = local.execute(Command.of("uname", "-r"));
 * }</pre>
 *
 * <p>Thread-safe and stateless apart from a shared pool of daemon I/O threads; there is nothing to
 * close. When a process dies from a signal the JDK reports {@code 128 + signal} as its exit code,
 * so {@link ExecResult#exitCode()} is only empty for commands this executor killed itself.
 */
public final class LocalExecutor implements CommandExecutor {
  private static final Duration DRAIN_AFTER_KILL = Duration.ofSeconds(2);
  private static final ExecutorService IO = Executors.newCachedThreadPool(new IoThreads());
  private static final LocalExecutor INSTANCE = new LocalExecutor();

  private LocalExecutor() {}

  /** The local executor. */
  public static LocalExecutor create() {
    return INSTANCE;
  }

  @Override
  public ExecResult execute(Command command) throws IOException, InterruptedException {
    ProcessBuilder builder = new ProcessBuilder(command.argv());
    command.workingDirectory().ifPresent(dir -> builder.directory(new File(dir)));
    builder.environment().putAll(command.env());
    long start = System.nanoTime();
    Process process = builder.start();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    Future<?> stdout = IO.submit(() -> drain(process.getInputStream(), out));
    Future<?> stderr = IO.submit(() -> drain(process.getErrorStream(), err));
    Future<?> stdin =
        command.stdin().length == 0
            ? CompletableFuture.completedFuture(feed(process.getOutputStream(), command.stdin()))
            : IO.submit(() -> feed(process.getOutputStream(), command.stdin()));
    boolean timedOut = false;
    try {
      Optional<Duration> timeout = command.timeout();
      if (timeout.isPresent()) {
        timedOut = !process.waitFor(timeout.get().toNanos(), TimeUnit.NANOSECONDS);
      } else {
        process.waitFor();
      }
    } catch (InterruptedException e) {
      killTree(process);
      stdin.cancel(true);
      throw e;
    }
    if (timedOut) {
      killTree(process);
    }
    awaitDrained(stdout, process.getInputStream(), timedOut);
    awaitDrained(stderr, process.getErrorStream(), timedOut);
    stdin.cancel(true);
    Duration duration = Duration.ofNanos(System.nanoTime() - start);
    ExecResult.Builder result =
        ExecResult.builder()
            .command(command)
            .stdout(out.toByteArray())
            .stderr(err.toByteArray())
            .duration(duration)
            .timedOut(timedOut);
    if (timedOut) {
      result.exitSignal("KILL");
    } else {
      result.exitCode(process.exitValue());
    }
    return result.build();
  }

  /**
   * Kills the process and every descendant. Descendants are listed first: once the parent dies they
   * are re-parented and can no longer be found from it.
   */
  private static void killTree(Process process) {
    List<ProcessHandle> descendants = process.descendants().collect(Collectors.toList());
    process.destroyForcibly();
    descendants.forEach(ProcessHandle::destroyForcibly);
    try {
      process.waitFor(DRAIN_AFTER_KILL.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Waits for a stream to reach end of file. The process has exited, so that is quick, unless a
   * background child it left behind still holds the pipe: then the stream is closed after a short
   * grace period and the output read so far is kept, rather than waiting forever.
   */
  private static void awaitDrained(Future<?> drain, InputStream stream, boolean killed)
      throws IOException, InterruptedException {
    try {
      drain.get(DRAIN_AFTER_KILL.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      stream.close();
      drain.cancel(true);
    } catch (ExecutionException e) {
      if (!killed) {
        throw new IOException("reading the output of a local command failed", e.getCause());
      }
    }
  }

  private static Void drain(InputStream in, ByteArrayOutputStream sink) throws IOException {
    byte[] buffer = new byte[16384];
    try (in) {
      for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
        sink.write(buffer, 0, n);
      }
    }
    return null;
  }

  private static Void feed(OutputStream out, byte[] stdin) {
    try (out) {
      out.write(stdin);
    } catch (IOException e) {
      // The command exited or closed its stdin without reading everything: that is its choice.
    }
    return null;
  }

  @Override
  public String toString() {
    return "local";
  }

  private static final class IoThreads implements ThreadFactory {
    private final AtomicInteger count = new AtomicInteger();

    @Override
    public Thread newThread(Runnable task) {
      Thread thread = new Thread(task, "opskit-local-io-" + count.incrementAndGet());
      thread.setDaemon(true);
      return thread;
    }
  }
}
