package dev.opskit.cluster;

import dev.opskit.core.OpskitException;

/**
 * Thrown by {@link CalicoAutodetection#apply} when the Tigera operator manages Calico: the operator
 * owns the calico-node DaemonSet and reverts edits to it. {@link #installationPatch()} is the
 * change to make on the {@code Installation} resource instead.
 */
public final class CalicoOperatorManagedException extends OpskitException {
  private static final long serialVersionUID = 1L;

  private final String installation;
  private final String installationPatch;

  /** Creates the exception for the named {@code Installation} and the merge patch to offer. */
  public CalicoOperatorManagedException(String installation, String installationPatch) {
    super(
        "the Tigera operator manages Calico (Installation '"
            + installation
            + "'); refusing to edit the calico-node DaemonSet. Change the Installation instead: "
            + "kubectl patch installation "
            + installation
            + " --type merge -p '"
            + installationPatch
            + "'");
    this.installation = installation;
    this.installationPatch = installationPatch;
  }

  /** The name of the operator's {@code Installation} resource. */
  public String installation() {
    return installation;
  }

  /** The JSON merge patch for the {@code Installation} with the same effect. */
  public String installationPatch() {
    return installationPatch;
  }
}
