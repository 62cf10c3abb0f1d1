package dev.opskit.sysctl;

import dev.opskit.core.internal.OpskitStyle;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import org.immutables.value.Value;

/**
 * What {@link LimitsApplier#observe(LimitsProfile)} read on a host in one command: the current
 * content of every file the profile renders, and the open-file limits in force.
 *
 * <p>{@link #nofileSoft()} and {@link #nofileHard()} are the limits of the shell that ran the read
 * (the process the executor starts), not of any service: over SSH they come from a fresh PAM
 * session, so they show limits.d changes; locally they are inherited from the calling JVM; neither
 * tells what {@code containerd} or {@code kubelet} run with, since PAM limits reach neither
 * services nor containers.
 */
@Value.Immutable
@OpskitStyle
public abstract class LimitsObservation {
  LimitsObservation() {}

  /** A builder; every attribute is optional. */
  public static Builder builder() {
    return new Builder();
  }

  /** Path to content of every profile file that exists as a regular file, in profile order. */
  public abstract Map<String, String> files();

  /** Profile paths that exist but are not regular files (a folder, a device, a dangling link). */
  public abstract Set<String> notRegularFiles();

  /**
   * {@code fs.nr_open}: the kernel's ceiling for any process's open-file limit, when readable. A
   * {@code nofile} line or {@code LimitNOFILE=} above it is refused by the kernel.
   */
  public abstract OptionalLong nrOpen();

  /** The reading shell's soft open-file limit ({@code ulimit -Sn}), a number or "unlimited". */
  public abstract Optional<String> nofileSoft();

  /** The reading shell's hard open-file limit ({@code ulimit -Hn}), a number or "unlimited". */
  public abstract Optional<String> nofileHard();

  /** Builds a {@link LimitsObservation}. */
  public static final class Builder extends ImmutableLimitsObservation.Builder {
    Builder() {}
  }
}
