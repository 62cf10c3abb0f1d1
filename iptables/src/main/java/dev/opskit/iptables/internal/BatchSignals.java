package dev.opskit.iptables.internal;

import dev.opskit.core.ExecResult;
import java.io.IOException;

/** The internal signals a write batch raises; never seen by callers of the applier. */
public final class BatchSignals {
  private BatchSignals() {}

  /** One state-changing step failed, or the batch did not run through. */
  public static final class StepFailedException extends IOException {
    private static final long serialVersionUID = 1L;
    private final String step;
    private final transient ExecResult result;
    private final long generation;

    StepFailedException(String step, ExecResult result, long generation) {
      super(step + ": " + result);
      this.step = step;
      this.result = result;
      this.generation = generation;
    }

    /** The failed step, as displayed. */
    public String step() {
      return step;
    }

    /** Its result. */
    public ExecResult result() {
      return result;
    }

    /** The host's generation after the batch, or -1 when unknown. */
    public long generation() {
      return generation;
    }
  }

  /** Another apply wrote since the state was read; nothing was written. */
  public static final class StaleException extends IOException {
    private static final long serialVersionUID = 1L;

    StaleException() {
      super("another apply changed the host since it was read");
    }
  }
}
