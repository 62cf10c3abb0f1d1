package dev.opskit.cluster.testing;

/**
 * Answers pod exec requests in the {@link KubernetesApiFixture}, standing in for the kubelet and
 * the container runtime, which the fixture does not have. A lambda is enough:
 *
 * <pre>{@code
 * fixture.onExec(request -> request.command().equals(List.of("uname", "-r"))
 *     ? PodExecReply.of(0, "6.1.0\n", "")
 *     : PodExecReply.of(127, "", "not found\n"));
 * }</pre>
 *
 * <p>Called on a server thread; must be thread-safe when exec runs concurrently.
 */
@FunctionalInterface
public interface PodExecHandler {
  /** The reply to one exec request. */
  PodExecReply handle(PodExecRequest request);
}
