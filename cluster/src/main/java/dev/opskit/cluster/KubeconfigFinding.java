package dev.opskit.cluster;

import dev.opskit.core.internal.OpskitStyle;
import java.util.Optional;
import org.immutables.value.Value;

/**
 * One result of a {@link KubeconfigCheck}: a permission problem with its fix, or a note that a user
 * entry embeds a credential. Never contains the credential itself.
 */
@Value.Immutable
@OpskitStyle
public abstract class KubeconfigFinding {
  KubeconfigFinding() {}

  /** What was found. */
  public enum Kind {
    /** Users other than the owner can read the file, and with it every credential inside. */
    GROUP_OR_WORLD_READABLE,
    /** Users other than the owner can change the file, for example point it at another server. */
    GROUP_OR_WORLD_WRITABLE,
    /** A user entry holds a bearer {@code token}. */
    EMBEDDED_TOKEN,
    /** A user entry holds a private key ({@code client-key-data}). */
    EMBEDDED_CLIENT_KEY,
    /** A user entry holds a {@code password} (basic auth). */
    EMBEDDED_PASSWORD,
    /**
     * A user's {@code auth-provider} config holds tokens ({@code id-token}, {@code refresh-token}…)
     * or the OIDC {@code client-secret}.
     */
    EMBEDDED_AUTH_PROVIDER_TOKEN,
    /** A user's {@code exec} credential plugin sets environment values in the file. */
    EXEC_ENV_VALUES,
    /**
     * The file's content could not be read or parsed (unreadable, not text, not a kubeconfig); its
     * credentials were not checked, but the permission findings still hold.
     */
    CONTENT_NOT_READ
  }

  /** A builder for a finding. */
  public static Builder builder() {
    return new Builder();
  }

  /** What was found. */
  public abstract Kind kind();

  /**
   * The file (the kubeconfig, or a {@code client-key} or {@code tokenFile} it names), or {@code
   * users[NAME]} for a credential note.
   */
  public abstract String subject();

  /** A one-line explanation. */
  public abstract String detail();

  /** The fix, such as {@code chmod 0600 /home/ops/.kube/config}; empty for notes. */
  public abstract Optional<String> fix();

  /**
   * Whether this is a permission problem (true) of the file named by {@link #subject()}, rather
   * than a note.
   */
  public boolean isPermissionProblem() {
    return kind() == Kind.GROUP_OR_WORLD_READABLE || kind() == Kind.GROUP_OR_WORLD_WRITABLE;
  }

  @Override
  public String toString() {
    return kind()
        + " "
        + subject()
        + ": "
        + detail()
        + fix().map(f -> " (fix: " + f + ")").orElse("");
  }

  /** Builds a {@link KubeconfigFinding}. */
  public static final class Builder extends ImmutableKubeconfigFinding.Builder {
    Builder() {}
  }
}
