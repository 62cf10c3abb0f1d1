package dev.opskit.core;

import dev.opskit.core.internal.BoundedBuffer;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
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
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;

/**
 * Runs commands on this machine with {@link ProcessBuilder}. Standard output and error are drained
 * concurrently (a command writing megabytes to both never deadlocks), stdin is written from a
 * separate thread, and a timeout or an interrupt kills the whole process tree, children included.
 * The streaming forms pass output on in 16 KiB chunks as it arrives, so memory stays bounded
 * whatever the command prints.
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
    return BoundedBuffer.collect(command, (out, err) -> run(command, null, out, err));
  }

  /**
   * Runs the command, streaming its output to the sinks from two I/O threads; see {@link
   * CommandExecutor#execute(Command, OutputStream, OutputStream)}.
   */
  @Override
  public ExecResult execute(Command command, OutputStream stdout, OutputStream stderr)
      throws IOException, InterruptedException {
    return run(command, null, stdout, stderr);
  }

  /**
   * Runs the command, streaming stdin from {@code stdin} (after the command's own bytes) and its
   * output to the sinks; see {@link CommandExecutor#execute(Command, InputStream, OutputStream,
   * OutputStream)}. Each chunk read from {@code stdin} is passed on at once.
   */
  @Override
  public ExecResult execute(
      Command command, InputStream stdin, OutputStream stdout, OutputStream stderr)
      throws IOException, InterruptedException {
    return run(command, Objects.requireNonNull(stdin, "stdin"), stdout, stderr);
  }

  private ExecResult run(
      Command command, InputStream source, OutputStream stdoutSink, OutputStream stderrSink)
      throws IOException, InterruptedException {
    Objects.requireNonNull(stdoutSink, "stdout");
    Objects.requireNonNull(stderrSink, "stderr");
    ProcessBuilder builder = new ProcessBuilder(command.argv());
    command.workingDirectory().ifPresent(dir -> builder.directory(new File(dir)));
    builder.environment().putAll(command.env());
    long start = System.nanoTime();
    Process process = builder.start();
    AtomicReference<IOException> sinkFailure = new AtomicReference<>();
    Future<?> stdout =
        IO.submit(() -> drain(process, process.getInputStream(), stdoutSink, sinkFailure));
    Future<?> stderr =
        IO.submit(() -> drain(process, process.getErrorStream(), stderrSink, sinkFailure));
    Future<?> stdin =
        command.stdin().length == 0 && source == null
            ? CompletableFuture.completedFuture(
                feed(process.getOutputStream(), command.stdin(), null))
            : IO.submit(() -> feed(process.getOutputStream(), command.stdin(), source));
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
    boolean killed = timedOut || sinkFailure.get() != null;
    awaitDrained(stdout, process.getInputStream(), killed);
    awaitDrained(stderr, process.getErrorStream(), killed);
    stdin.cancel(true);
    if (sinkFailure.get() != null) {
      throw new IOException(
          "writing the output of "
              + command.display()
              + " failed, so it was stopped: "
              + sinkFailure.get().getMessage(),
          sinkFailure.get());
    }
    stdoutSink.flush();
    stderrSink.flush();
    Duration duration = Duration.ofNanos(System.nanoTime() - start);
    ExecResult.Builder result =
        ExecResult.builder().command(command).duration(duration).timedOut(timedOut);
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

  /**
   * Copies a process stream to a sink. When the sink fails, the failure is recorded and the process
   * tree killed (nobody would read the rest), and the stream is read to its end and dropped.
   */
  private static Void drain(
      Process process, InputStream in, OutputStream sink, AtomicReference<IOException> failure)
      throws IOException {
    byte[] buffer = new byte[16384];
    boolean writing = true;
    try (in) {
      for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
        if (!writing) {
          continue;
        }
        try {
          sink.write(buffer, 0, n);
        } catch (IOException | RuntimeException e) {
          writing = false;
          failure.compareAndSet(
              null, e instanceof IOException ? (IOException) e : new IOException(e.toString(), e));
          killTree(process);
        }
      }
    }
    return null;
  }

  /**
   * Writes the command's stdin bytes, then (when there is a source) each chunk read from it, then
   * closes the process's stdin.
   */
  private static Void feed(OutputStream out, byte[] stdin, InputStream source) {
    try (out) {
      out.write(stdin);
      if (source != null) {
        out.flush();
        byte[] buffer = new byte[16384];
        for (int n = source.read(buffer); n >= 0; n = source.read(buffer)) {
          if (Thread.currentThread().isInterrupted()) {
            break;
          }
          out.write(buffer, 0, n);
          out.flush();
        }
      }
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
