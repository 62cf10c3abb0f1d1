package dev.opskit.iptables;

/**
 * The kernel interface iptables uses. A host should use one only: rules written through one are
 * invisible to the other's {@code -save}, and kube-proxy picks the one that already holds rules.
 */
public enum IptablesBackend {
  /** nf_tables, {@code iptables v1.8.x (nf_tables)}: the default on current distributions. */
  NFT("nft"),
  /** The legacy x_tables interface, {@code iptables v1.8.x (legacy)} or any version before 1.8. */
  LEGACY("legacy");

  private final String suffix;

  IptablesBackend(String suffix) {
    this.suffix = suffix;
  }

  /**
   * The backend named in {@code iptables --version} output: {@code (nf_tables)} means NFT, {@code
   * (legacy)} or no backend at all (versions before 1.8) means LEGACY.
   */
  public static IptablesBackend fromVersion(String versionOutput) {
    return versionOutput.contains("(nf_tables)") ? NFT : LEGACY;
  }

  /** The program for this backend and family, such as {@code ip6tables-nft-restore}. */
  public String program(IpFamily family, String suffixAfterBackend) {
    return family.command() + "-" + suffix + suffixAfterBackend;
  }
}
