package dev.opskit.sysctl;

import dev.opskit.core.internal.OpskitStyle;
import dev.opskit.sysctl.internal.Values;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.immutables.value.Value;

/**
 * Open-file (and other) limits for a node, in the two places that actually reach the processes
 * concerned:
 *
 * <ul>
 *   <li>{@code /etc/security/limits.d/NN-opskit-NAME.conf} entries ({@link #entries()}), read by
 *       {@code pam_limits} when a PAM session opens: SSH and console logins, {@code su}, {@code
 *       sudo}. This is what {@code ulimit -n} shows in an interactive shell;
 *   <li>systemd drop-ins {@code /etc/systemd/system/UNIT.d/NN-opskit-NAME.conf} with {@code
 *       LimitNOFILE=} ({@link #serviceNofile()}), for services such as {@code containerd.service}
 *       and {@code kubelet.service}.
 * </ul>
 *
 * <p><b>PAM limits reach neither services nor containers.</b> systemd starts services without a PAM
 * session, so limits.conf and limits.d never apply to them; a service gets {@code LimitNOFILE=}
 * from its unit (or {@code DefaultLimitNOFILE=} in system.conf). Containers inherit their limits
 * from the container runtime (the containerd service's own limit, or rlimits in the OCI spec),
 * never from limits.conf. So raising {@code nofile} in limits.conf alone changes nothing for
 * kubelet, containerd or pods: write the systemd drop-ins, then run {@code systemctl daemon-reload}
 * and restart the services. Also: {@code *} does not match root, and a {@code nofile} limit above
 * {@code fs.nr_open} (1048576 by default) is refused by the kernel, so a session with such a line
 * fails to open.
 *
 * <pre>{@code
 * LimitsProfile limits = LimitsProfile.kubernetesNode();
 * LimitsApplyResult result = LimitsApplier.on(executor).withDaemonReload(true).apply(limits);
 * result.unitsToRestart();   // restart these for LimitNOFILE= to reach the running services
 * }</pre>
 *
 * <p>{@link LimitsApplier} observes, plans, writes and verifies these files on a host; {@link
 * #files()} only renders them.
 */
@Value.Immutable
@OpskitStyle
public abstract class LimitsProfile {
  private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9_-]{0,62}");
  private static final Pattern UNIT =
      Pattern.compile("[A-Za-z0-9:_.\\\\@-]{1,200}\\.(service|scope|slice|socket|mount)");
  private static final Pattern NOFILE =
      Pattern.compile("infinity|([0-9]{1,19})(?::([0-9]{1,19}|infinity))?");

  LimitsProfile() {}

  /** A builder; {@code name} is required. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * {@code nofile} 1048576 (soft and hard) for every user and for root (which {@code *} does not
   * match), and {@code LimitNOFILE=1048576} for {@code containerd.service} and {@code
   * kubelet.service}. 1048576 is the kernel's default {@code fs.nr_open}, the most a process may
   * have, and what containerd's own unit file sets.
   */
  public static LimitsProfile kubernetesNode() {
    String nofile = "1048576";
    return builder()
        .name("kubernetes-node")
        .addEntries(
            LimitsEntry.of("*", LimitsEntry.Type.SOFT, LimitsEntry.Item.NOFILE, nofile),
            LimitsEntry.of("*", LimitsEntry.Type.HARD, LimitsEntry.Item.NOFILE, nofile),
            LimitsEntry.of("root", LimitsEntry.Type.SOFT, LimitsEntry.Item.NOFILE, nofile),
            LimitsEntry.of("root", LimitsEntry.Type.HARD, LimitsEntry.Item.NOFILE, nofile))
        .putServiceNofile("containerd.service", nofile)
        .putServiceNofile("kubelet.service", nofile)
        .build();
  }

  /**
   * Parses the entries of a limits.conf or limits.d file as pam_limits reads it: {@code #} starts a
   * comment anywhere on a line, blank lines are skipped, other lines need four whitespace-separated
   * fields ({@code <domain> <type> <item> <value>}, type, item and value in any case) or the two
   * fields {@code <domain> -} (no limits for the domain). {@link LimitsEntry#render()} of each
   * entry parses back to an equal entry.
   *
   * @throws SysctlParseException naming the first line that pam_limits would skip as invalid
   */
  public static List<LimitsEntry> parseEntries(String path, String text) {
    List<LimitsEntry> entries = new ArrayList<>();
    String[] lines = text.split("\n", -1);
    for (int i = 0; i < lines.length; i++) {
      String line = lines[i];
      int hash = line.indexOf('#');
      if (hash >= 0) {
        line = line.substring(0, hash);
      }
      line = line.strip();
      if (line.isEmpty()) {
        continue;
      }
      String[] fields = line.split("\\s+");
      try {
        if (fields.length == 2 && fields[1].equals("-")) {
          entries.add(LimitsEntry.noLimits(fields[0]));
          continue;
        }
        if (fields.length != 4) {
          throw new IllegalArgumentException(
              "expected '<domain> <type> <item> <value>' or '<domain> -', found "
                  + fields.length
                  + " fields");
        }
        entries.add(
            LimitsEntry.of(
                fields[0],
                LimitsEntry.Type.parse(fields[1]),
                LimitsEntry.Item.parse(fields[2]),
                fields[3]));
      } catch (IllegalArgumentException e) {
        throw new SysctlParseException(path, i + 1, e.getMessage(), e);
      }
    }
    return List.copyOf(entries);
  }

  /** The profile's name, used in file names. */
  public abstract String name();

  /** The sort priority of the files, 0 to 99; 99 by default. */
  @Value.Default
  public int priority() {
    return 99;
  }

  /** The limits.d entries, in order. */
  public abstract List<LimitsEntry> entries();

  /** {@code LimitNOFILE=} per systemd unit: {@code N}, {@code soft:hard} or {@code infinity}. */
  public abstract Map<String, String> serviceNofile();

  /** The limits.d file's path: {@code /etc/security/limits.d/NN-opskit-NAME.conf}. */
  public String limitsPath() {
    return Values.join(LimitsApplier.DEFAULT_LIMITS_DIRECTORY, fileName());
  }

  /** The limits.d file's text (empty when there are no entries). */
  public String renderLimits() {
    if (entries().isEmpty()) {
      return "";
    }
    StringBuilder text =
        new StringBuilder("# opskit limits profile '")
            .append(name())
            .append("'. Managed file: local edits are overwritten.\n")
            .append("# Applies to PAM sessions (logins, su, sudo) only; services and containers")
            .append(" need LimitNOFILE= in their systemd unit.\n");
    for (LimitsEntry entry : entries()) {
      text.append(entry.render()).append('\n');
    }
    return text.toString();
  }

  /** The path of the systemd drop-in for {@code unit}. */
  public String systemdDropInPath(String unit) {
    return Values.join(
        Values.join(LimitsApplier.DEFAULT_SYSTEMD_DIRECTORY, unit + ".d"), fileName());
  }

  /**
   * The systemd drop-in for {@code unit}: a {@code [Service]} section with {@code LimitNOFILE=}.
   *
   * @throws IllegalArgumentException when the profile sets nothing for {@code unit}
   */
  public String renderSystemdDropIn(String unit) {
    String value = serviceNofile().get(unit);
    if (value == null) {
      throw new IllegalArgumentException("profile " + name() + " sets no limit for unit " + unit);
    }
    return "# opskit limits profile '"
        + name()
        + "'. Managed file: run systemctl daemon-reload and restart "
        + unit
        + " after changes.\n[Service]\nLimitNOFILE="
        + value
        + "\n";
  }

  /**
   * Every file of the profile, path to text: the limits.d file (if any), then the drop-ins, under
   * {@code /etc/security/limits.d} and {@code /etc/systemd/system}.
   */
  public Map<String, String> files() {
    return files(LimitsApplier.DEFAULT_LIMITS_DIRECTORY, LimitsApplier.DEFAULT_SYSTEMD_DIRECTORY);
  }

  /**
   * Every file of the profile, path to text, with the limits.d file in {@code limitsDirectory} and
   * the drop-ins in {@code systemdDirectory/UNIT.d}.
   *
   * @throws IllegalArgumentException when a folder is relative or holds a line break or NUL
   */
  public Map<String, String> files(String limitsDirectory, String systemdDirectory) {
    Values.absoluteDirectory("limits directory", limitsDirectory);
    Values.absoluteDirectory("systemd directory", systemdDirectory);
    Map<String, String> files = new LinkedHashMap<>();
    if (!entries().isEmpty()) {
      files.put(Values.join(limitsDirectory, fileName()), renderLimits());
    }
    for (String unit : serviceNofile().keySet()) {
      files.put(
          Values.join(Values.join(systemdDirectory, unit + ".d"), fileName()),
          renderSystemdDropIn(unit));
    }
    return files;
  }

  /** The name of every file of the profile: {@code NN-opskit-NAME.conf}. */
  public String fileName() {
    return String.format("%02d-opskit-%s.conf", priority(), name());
  }

  @Value.Check
  void check() {
    if (!NAME.matcher(name()).matches()) {
      throw new IllegalArgumentException(
          "limits profile name " + Values.quote(name()) + " must match " + NAME.pattern());
    }
    if (priority() < 0 || priority() > 99) {
      throw new IllegalArgumentException(
          "limits profile priority must be between 0 and 99, was " + priority());
    }
    if (entries().isEmpty() && serviceNofile().isEmpty()) {
      throw new IllegalArgumentException(
          "limits profile " + name() + " must have entries or service limits");
    }
    serviceNofile()
        .forEach(
            (unit, value) -> {
              if (!UNIT.matcher(unit).matches()) {
                throw new IllegalArgumentException(
                    "systemd unit " + Values.quote(unit) + " must match " + UNIT.pattern());
              }
              Matcher m = NOFILE.matcher(value);
              if (!m.matches()) {
                throw new IllegalArgumentException(
                    "LimitNOFILE value "
                        + Values.quote(value)
                        + " for "
                        + unit
                        + " must be N, SOFT:HARD or infinity");
              }
              if (m.group(2) != null
                  && !m.group(2).equals("infinity")
                  && new java.math.BigInteger(m.group(1))
                          .compareTo(new java.math.BigInteger(m.group(2)))
                      > 0) {
                throw new IllegalArgumentException(
                    "LimitNOFILE " + value + " for " + unit + ": soft must not exceed hard");
              }
            });
  }

  /** Builds a {@link LimitsProfile}. */
  public static final class Builder extends ImmutableLimitsProfile.Builder {
    Builder() {}
  }
}
