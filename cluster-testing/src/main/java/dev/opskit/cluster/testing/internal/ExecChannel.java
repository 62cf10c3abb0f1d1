package dev.opskit.cluster.testing.internal;

import com.google.gson.JsonObject;
import dev.opskit.cluster.testing.PodExecHandler;
import dev.opskit.cluster.testing.PodExecReply;
import dev.opskit.cluster.testing.PodExecRequest;
import dev.opskit.core.Command;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.Response;
import io.fabric8.mockwebserver.http.WebSocket;
import io.fabric8.mockwebserver.http.WebSocketListener;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * Serves a pod exec over the Kubernetes WebSocket channel protocol: channel 0 carries stdin, 1
 * stdout, 2 stderr, 3 the final {@code Status} (with the exit code for a non-zero exit); then the
 * socket closes.
 */
public final class ExecChannel {
  /** Marks the end of an exec's stdin: the client closed the socket. */
  private static final byte[] CLOSED = new byte[0];

  /** Marks the end of an exec's stdin: the decoder read all it needed. */
  private static final byte[] DECODED = new byte[0];

  private static final AtomicInteger THREADS = new AtomicInteger();

  /** Runs the decoders of handler-answered execs (those of the controller use its own threads). */
  private static final Executor DECODERS =
      Executors.newCachedThreadPool(
          r -> {
            Thread thread = new Thread(r, "fixture-exec-decoder-" + THREADS.incrementAndGet());
            thread.setDaemon(true);
            return thread;
          });

  private ExecChannel() {}

  /**
   * A WebSocket upgrade answering {@code exec} with {@code handler}'s reply. When the exec is an
   * opskit command framed on stdin ({@link AgentExec}), the handler sees the command the pod would
   * run: the runner's words, then the decoded argv, with the decoded stdin.
   */
  public static MockResponse respond(PodExecHandler handler, FaithfulDispatcher.PodExec exec) {
    Optional<List<String>> runner = AgentExec.runner(exec.command());
    if (runner.isPresent()) {
      return decoding(
          runner.get(),
          DECODERS,
          "pod " + exec.namespace() + "/" + exec.pod(),
          (socket, command) -> {
            List<String> argv = new ArrayList<>(runner.get());
            argv.addAll(command.argv());
            PodExecReply reply;
            try {
              reply = handler.handle(request(exec, argv, command.stdin()));
            } catch (RuntimeException e) {
              fail(socket, "the exec handler failed: " + e);
              return;
            }
            reply(socket, reply);
          });
    }
    PodExecReply reply = handler.handle(request(exec, exec.command(), new byte[0]));
    return upgrade(socket -> reply(socket, reply));
  }

  /** A WebSocket upgrade of an exec that calls {@code onOpen} with the socket once it is open. */
  public static MockResponse upgrade(Consumer<WebSocket> onOpen) {
    return upgrade(
        new WebSocketListener() {
          @Override
          public void onOpen(WebSocket socket, Response response) {
            onOpen.accept(socket);
          }
        });
  }

  /** A WebSocket upgrade to the exec channel protocol, served by {@code listener}. */
  private static MockResponse upgrade(WebSocketListener listener) {
    return new MockResponse()
        .setResponseCode(101)
        .setHeader("Sec-WebSocket-Protocol", "v4.channel.k8s.io")
        .withWebSocketUpgrade(listener);
  }

  private static PodExecRequest request(
      FaithfulDispatcher.PodExec exec, List<String> command, byte[] stdin) {
    return new PodExecRequest(exec.namespace(), exec.pod(), exec.container(), command, stdin);
  }

  /**
   * A WebSocket upgrade for an opskit command framed on the exec's stdin: on {@code threads}, runs
   * the decoder for {@code runner} in a real local shell on that stdin as it arrives, then hands
   * the socket and the decoded command to {@code then}; a frame that does not parse ends as the
   * pod's shell would, and a client that closes first ends it silently.
   */
  public static MockResponse decoding(
      List<String> runner, Executor threads, String pod, BiConsumer<WebSocket, Command> then) {
    BlockingQueue<byte[]> stdin = new LinkedBlockingQueue<>();
    return upgrade(
        new WebSocketListener() {
          @Override
          public void onOpen(WebSocket socket, Response response) {
            threads.execute(() -> decodeThen(socket, stdin, runner, pod, then));
          }

          @Override
          public void onMessage(WebSocket socket, byte[] bytes) {
            if (bytes.length > 0 && bytes[0] == 0) {
              stdin.add(Arrays.copyOfRange(bytes, 1, bytes.length));
            }
          }

          @Override
          public void onClosed(WebSocket socket, int code, String reason) {
            stdin.add(CLOSED);
          }

          @Override
          public void onFailure(WebSocket socket, Throwable t, Response response) {
            stdin.add(CLOSED);
          }
        });
  }

  private static void decodeThen(
      WebSocket socket,
      BlockingQueue<byte[]> stdin,
      List<String> runner,
      String pod,
      BiConsumer<WebSocket, Command> then) {
    AgentExec.Decoded decoded;
    try (AgentExec.Session decoder = AgentExec.start(runner)) {
      decoder.onExit().thenRun(() -> stdin.add(DECODED));
      for (byte[] bytes = stdin.take(); bytes != DECODED; bytes = stdin.take()) {
        if (bytes == CLOSED) {
          return;
        }
        decoder.write(bytes);
      }
      decoded = decoder.await(0);
    } catch (Exception e) {
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      fail(socket, "the " + pod + " failed: " + e);
      return;
    }
    if (decoded.command().isEmpty()) {
      reply(
          socket,
          new byte[0],
          decoded.stderr().getBytes(StandardCharsets.UTF_8),
          decoded.exitCode() == 0 ? AgentExec.MALFORMED : decoded.exitCode());
      return;
    }
    then.accept(socket, decoded.command().get());
  }

  /** Sends {@code reply}'s output and exit status, then closes the socket. */
  public static void reply(WebSocket socket, PodExecReply reply) {
    reply(socket, reply.stdout(), reply.stderr(), reply.exitCode());
  }

  /** Sends the output and exit status, then closes the socket. */
  public static void reply(WebSocket socket, byte[] stdout, byte[] stderr, int exitCode) {
    if (stdout.length > 0) {
      socket.send(frame(1, stdout));
    }
    if (stderr.length > 0) {
      socket.send(frame(2, stderr));
    }
    socket.send(frame(3, status(exitCode).getBytes(StandardCharsets.UTF_8)));
    socket.close(1000, "");
  }

  /** Ends the exec without an exit status, as a broken container runtime would. */
  public static void fail(WebSocket socket, String failure) {
    JsonObject status = new JsonObject();
    status.add("metadata", new JsonObject());
    status.addProperty("status", "Failure");
    status.addProperty("reason", "InternalError");
    status.addProperty("message", failure);
    socket.send(frame(3, status.toString().getBytes(StandardCharsets.UTF_8)));
    socket.close(1000, "");
  }

  /** One channel-protocol frame: the channel number, then the data. */
  public static byte[] frame(int channel, byte[] data) {
    byte[] frame = new byte[data.length + 1];
    frame[0] = (byte) channel;
    System.arraycopy(data, 0, frame, 1, data.length);
    return frame;
  }

  /** The final {@code Status} of an exec that exited with {@code exitCode}. */
  public static String status(int exitCode) {
    if (exitCode == 0) {
      return "{\"metadata\":{},\"status\":\"Success\"}";
    }
    return "{\"metadata\":{},\"status\":\"Failure\",\"message\":\"command terminated with non-zero"
        + " exit code: error executing command, exit status "
        + exitCode
        + "\",\"reason\":\"NonZeroExitCode\",\"details\":{\"causes\":[{\"reason\":\"ExitCode\","
        + "\"message\":\""
        + exitCode
        + "\"}]}}";
  }
}
