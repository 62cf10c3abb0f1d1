package dev.opskit.cluster.testing.internal;

import dev.opskit.cluster.testing.PodExecHandler;
import dev.opskit.cluster.testing.PodExecReply;
import dev.opskit.cluster.testing.PodExecRequest;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.Response;
import io.fabric8.mockwebserver.http.WebSocket;
import io.fabric8.mockwebserver.http.WebSocketListener;
import java.nio.charset.StandardCharsets;

/**
 * Serves a pod exec over the Kubernetes WebSocket channel protocol: channel 1 carries stdout, 2
 * stderr, 3 the final {@code Status} (with the exit code for a non-zero exit); then the socket
 * closes.
 */
public final class ExecChannel {
  private ExecChannel() {}

  /** A WebSocket upgrade answering {@code exec} with {@code handler}'s reply. */
  public static MockResponse respond(PodExecHandler handler, FaithfulDispatcher.PodExec exec) {
    PodExecReply reply =
        handler.handle(
            new PodExecRequest(exec.namespace(), exec.pod(), exec.container(), exec.command()));
    return new MockResponse()
        .setResponseCode(101)
        .setHeader("Sec-WebSocket-Protocol", "v4.channel.k8s.io")
        .withWebSocketUpgrade(
            new WebSocketListener() {
              @Override
              public void onOpen(WebSocket socket, Response response) {
                if (reply.stdout().length > 0) {
                  socket.send(frame(1, reply.stdout()));
                }
                if (reply.stderr().length > 0) {
                  socket.send(frame(2, reply.stderr()));
                }
                socket.send(frame(3, status(reply.exitCode()).getBytes(StandardCharsets.UTF_8)));
                socket.close(1000, "");
              }
            });
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
