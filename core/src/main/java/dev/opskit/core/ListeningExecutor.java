package dev.opskit.core;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;
import java.util.Objects;

/** Reports every command of a delegate executor to an {@link ExecutionListener}. */
final class ListeningExecutor implements CommandExecutor {
  private final CommandExecutor delegate;
  private final ExecutionListener listener;

  ListeningExecutor(CommandExecutor delegate, ExecutionListener listener) {
    this.delegate = Objects.requireNonNull(delegate, "delegate");
    this.listener = Objects.requireNonNull(listener, "listener");
  }

  @Override
  public ExecResult execute(Command command) throws IOException, InterruptedException {
    listener.started(command);
    ExecResult result;
    try {
      result = delegate.execute(command);
    } catch (IOException | InterruptedException | RuntimeException e) {
      listener.failed(command, e);
      throw e;
    }
    listener.finished(result);
    return result;
  }

  @Override
  public ExecResult execute(
      Command command, InputStream stdin, OutputStream stdout, OutputStream stderr)
      throws IOException, InterruptedException {
    listener.started(command);
    ExecResult result;
    try {
      result = delegate.execute(command, stdin, stdout, stderr);
    } catch (IOException | InterruptedException | RuntimeException e) {
      listener.failed(command, e);
      throw e;
    }
    listener.finished(result);
    return result;
  }

  @Override
  public void reportSteps(List<StepRecord> steps) {
    steps.forEach(listener::stepFinished);
    delegate.reportSteps(steps);
  }

  @Override
  public String toString() {
    return delegate + " (listened)";
  }
}
