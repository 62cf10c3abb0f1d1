package dev.opskit.cluster.internal.node;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.opskit.core.Command;
import dev.opskit.core.ExecResult;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.ApiException;
import io.kubernetes.client.openapi.Pair;
import io.kubernetes.client.util.WebSocketStreamHandler;
import io.kubernetes.client.util.WebSockets;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * One pod exec over the client's WebSocket streaming (the channel protocol the kubelet speaks): the
 * stdout, stderr and status streams are opened before the socket connects (so nothing can arrive
 * before its reader exists) and drained concurrently (so no pipe fills up and stalls the socket).
 * argv goes out as one {@code command} query parameter per element, never re-split.
 */
public final class PodExecSession {
  /** What the exec produced. */
  public record Outcome(
      OptionalInt exitCode, byte[] stdout, byte[] stderr, String statusMessage, boolean timedOut) {
    /** The result of {@code command}, which started at {@code startedNanos} (nanoTime). */
    public ExecResult result(Command command, long startedNanos) {
      ExecResult.Builder result =
          ExecResult.builder()
              .command(command)
              .stdout(stdout)
              .stderr(stderr)
              .timedOut(timedOut)
              .duration(Duration.ofNanos(System.nanoTime() - startedNanos));
      exitCode.ifPresent(result::exitCode);
      return result.build();
    }
  }

  /**
   * The most stdin bytes per WebSocket frame: servers and proxies cap a frame's size (64 KB is a
   * common default), and each write goes out as one frame.
   */
  static final int STDIN_FRAME = 32 * 1024;

  private PodExecSession() {}

  /**
   * Runs {@code argv} in {@code container} of the pod and waits up to {@code timeout}.
   *
   * @throws IOException when the exec could not be started or the stream failed
   * @throws InterruptedException when interrupted while waiting
   */
  public static Outcome run(
      ApiClient client,
      String namespace,
      String pod,
      String container,
      List<String> argv,
      Duration timeout)
      throws IOException, InterruptedException {
    return run(client, namespace, pod, container, argv, new byte[0], timeout);
  }

  /**
   * Like {@link #run(ApiClient, String, String, String, List, Duration)}, sending {@code stdin} on
   * the stdin channel when it is not empty. The channel protocol before {@code v5} cannot signal
   * its end, so the command must know how many bytes to read.
   */
  public static Outcome run(
      ApiClient client,
      String namespace,
      String pod,
      String container,
      List<String> argv,
      byte[] stdin,
      Duration timeout)
      throws IOException, InterruptedException {
    Throwable[] failure = new Throwable[1];
    // opened or failed: the client's stdin stream waits for an open socket without end
    CountDownLatch settled = new CountDownLatch(1);
    WebSocketStreamHandler handler =
        new WebSocketStreamHandler() {
          @Override
          public synchronized void open(String protocol, okhttp3.WebSocket socket) {
            super.open(protocol, socket);
            settled.countDown();
          }

          @Override
          public void failure(Throwable t) {
            failure[0] = t;
            super.failure(t);
            settled.countDown();
          }
        };
    ByteArrayOutputStream stdout = new SynchronizedBuffer();
    ByteArrayOutputStream stderr = new SynchronizedBuffer();
    ByteArrayOutputStream status = new SynchronizedBuffer();
    List<Thread> drains =
        List.of(
            drain(handler.getInputStream(1), stdout, "stdout"),
            drain(handler.getInputStream(2), stderr, "stderr"),
            drain(handler.getInputStream(3), status, "status"));
    List<Pair> query = new ArrayList<>();
    query.add(new Pair("stdout", "true"));
    query.add(new Pair("stderr", "true"));
    query.add(new Pair("stdin", stdin.length > 0 ? "true" : "false"));
    query.add(new Pair("tty", "false"));
    if (container != null && !container.isEmpty()) {
      query.add(new Pair("container", container));
    }
    for (String arg : argv) {
      query.add(new Pair("command", arg));
    }
    String path = "/api/v1/namespaces/" + namespace + "/pods/" + pod + "/exec";
    try {
      WebSockets.stream(path, "GET", query, client, handler);
    } catch (ApiException e) {
      throw new IOException(
          "exec in pod " + namespace + "/" + pod + " failed: " + e.getMessage(), e);
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    if (stdin.length > 0
        && settled.await(timeout.toNanos(), TimeUnit.NANOSECONDS)
        && failure[0] == null) {
      try (OutputStream in = handler.getOutputStream(0)) {
        for (int at = 0; at < stdin.length; at += STDIN_FRAME) {
          in.write(stdin, at, Math.min(STDIN_FRAME, stdin.length - at));
        }
      } catch (IOException e) {
        // The command may end before reading all of its input: its status says how it ended.
      }
    }
    boolean finished = true;
    try {
      for (Thread drain : drains) {
        long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
        if (left > 0) {
          drain.join(left);
        }
        finished &= !drain.isAlive();
      }
    } catch (InterruptedException e) {
      handler.close();
      throw e;
    }
    if (!finished) {
      handler.close();
      for (Thread drain : drains) {
        drain.join(1000);
      }
      return new Outcome(OptionalInt.empty(), stdout.toByteArray(), stderr.toByteArray(), "", true);
    }
    String statusText = status.toString(StandardCharsets.UTF_8);
    if (statusText.isBlank() && failure[0] != null) {
      throw new IOException(
          "exec stream to pod " + namespace + "/" + pod + " failed: " + failure[0], failure[0]);
    }
    return new Outcome(
        exitCode(statusText), stdout.toByteArray(), stderr.toByteArray(), statusText, false);
  }

  /** The exit code a channel-protocol status reports; empty when it reports none. */
  public static OptionalInt exitCode(String statusJson) {
    if (statusJson.isBlank()) {
      return OptionalInt.empty();
    }
    JsonObject status;
    try {
      status = JsonParser.parseString(statusJson).getAsJsonObject();
    } catch (RuntimeException e) {
      return OptionalInt.empty();
    }
    JsonElement state = status.get("status");
    if (state != null && state.getAsString().equals("Success")) {
      return OptionalInt.of(0);
    }
    if (status.has("details") && status.getAsJsonObject("details").has("causes")) {
      for (JsonElement cause : status.getAsJsonObject("details").getAsJsonArray("causes")) {
        JsonObject c = cause.getAsJsonObject();
        if (c.has("reason") && c.get("reason").getAsString().equals("ExitCode")) {
          try {
            return OptionalInt.of(Integer.parseInt(c.get("message").getAsString().strip()));
          } catch (NumberFormatException e) {
            return OptionalInt.empty();
          }
        }
      }
    }
    return OptionalInt.empty();
  }

  private static Thread drain(InputStream in, ByteArrayOutputStream out, String name) {
    Thread thread =
        new Thread(
            () -> {
              try (in) {
                in.transferTo(out);
              } catch (IOException e) {
                // The socket ended without closing the stream; what arrived is kept.
              }
            },
            "pod-exec-" + name);
    thread.setDaemon(true);
    thread.start();
    return thread;
  }

  private static final class SynchronizedBuffer extends ByteArrayOutputStream {
    @Override
    public synchronized void write(byte[] b, int off, int len) {
      super.write(b, off, len);
    }

    @Override
    public synchronized void write(int b) {
      super.write(b);
    }

    @Override
    public synchronized byte[] toByteArray() {
      return super.toByteArray();
    }
  }
}
