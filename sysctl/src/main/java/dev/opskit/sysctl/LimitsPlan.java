package dev.opskit.sysctl;

import dev.opskit.core.Applier;
import dev.opskit.core.internal.OpskitStyle;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.stream.Collectors;
import org.immutables.value.Value;

/**
 * What applying a {@link LimitsProfile} to an observed host would do: which of its files are
 * created, replaced or already current, and what stops the apply. Computed by the pure function
 * {@link #of(LimitsProfile, LimitsObservation, String, String)}: no I/O, so it is unit-testable and
 * safe to show before applying.
 *
 * <pre>{@code
 * LimitsPlan plan = LimitsPlan.of(profile, observation, "/etc/security/limits.d", "/etc/systemd/system");
 * if (!plan.isEmpty()) System.out.print(plan.render());
 * }</pre>
 *
 * <p>The apply is blocked (nothing is written) when a profile path exists but is not a regular
 * file, or when a {@code nofile} value is above the host's {@code fs.nr_open}: the kernel refuses
 * such a limit, so {@code pam_limits} would fail every new login session and systemd would fail to
 * start the service. Remember that PAM limits reach neither systemd services nor containers; only
 * the {@code LimitNOFILE=} drop-ins do, and only once the services are restarted.
 */
@Value.Immutable
@OpskitStyle
public abstract class LimitsPlan implements Applier.Plan {
  LimitsPlan() {}

  /** A builder; prefer {@link #of(LimitsProfile, LimitsObservation, String, String)}. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Plans {@code profile} against {@code observed}, with the limits.d file in {@code
   * limitsDirectory} and the systemd drop-ins in {@code systemdDirectory/UNIT.d}.
   *
   * @throws IllegalArgumentException when a folder is relative or holds a line break or NUL
   */
  public static LimitsPlan of(
      LimitsProfile profile,
      LimitsObservation observed,
      String limitsDirectory,
      String systemdDirectory) {
    Map<String, String> desired = profile.files(limitsDirectory, systemdDirectory);
    List<String> units = new ArrayList<>(profile.serviceNofile().keySet());
    int firstUnit = profile.entries().isEmpty() ? 0 : 1;
    List<LimitsFileChange> files = new ArrayList<>();
    List<String> blocked = new ArrayList<>();
    int index = 0;
    for (Map.Entry<String, String> file : desired.entrySet()) {
      String path = file.getKey();
      String before = observed.files().get(path);
      LimitsFileChange.Action action =
          before == null
              ? LimitsFileChange.Action.CREATE
              : before.equals(file.getValue())
                  ? LimitsFileChange.Action.UNCHANGED
                  : LimitsFileChange.Action.UPDATE;
      LimitsFileChange.Builder change =
          LimitsFileChange.builder().path(path).content(file.getValue()).action(action);
      if (index >= firstUnit) {
        change.unit(units.get(index - firstUnit));
      }
      if (before != null) {
        change.before(before);
      }
      files.add(change.build());
      if (observed.notRegularFiles().contains(path)) {
        blocked.add(path + " exists and is not a regular file");
      }
      index++;
    }
    blocked.addAll(aboveNrOpen(profile, observed.nrOpen()));
    return builder().profileName(profile.name()).files(files).blocked(blocked).build();
  }

  private static List<String> aboveNrOpen(LimitsProfile profile, OptionalLong nrOpen) {
    List<String> problems = new ArrayList<>();
    if (nrOpen.isEmpty()) {
      return problems;
    }
    BigInteger ceiling = BigInteger.valueOf(nrOpen.getAsLong());
    for (LimitsEntry entry : profile.entries()) {
      if (entry.item().filter(LimitsEntry.Item.NOFILE::equals).isPresent()
          && !entry.isUnlimited()
          && isNumberAbove(entry.value().orElseThrow(), ceiling)) {
        problems.add(
            "'"
                + entry.render().replace('\t', ' ')
                + "' is above fs.nr_open "
                + ceiling
                + ": the kernel refuses it, so new login sessions would fail");
      }
    }
    profile
        .serviceNofile()
        .forEach(
            (unit, value) -> {
              for (String part : value.split(":")) {
                if (isNumberAbove(part, ceiling)) {
                  problems.add(
                      "LimitNOFILE="
                          + value
                          + " for "
                          + unit
                          + " is above fs.nr_open "
                          + ceiling
                          + ": the service would fail to start");
                  return;
                }
              }
            });
    return problems;
  }

  private static boolean isNumberAbove(String value, BigInteger ceiling) {
    return value.matches("[0-9]+") && new BigInteger(value).compareTo(ceiling) > 0;
  }

  /** The profile planned. */
  public abstract String profileName();

  /** A decision for every file of the profile, in profile order (limits.d, then drop-ins). */
  public abstract List<LimitsFileChange> files();

  /** Why applying is refused, one reason each; empty when it may go ahead. */
  public abstract List<String> blocked();

  /** The files to create or replace. */
  public List<LimitsFileChange> changes() {
    return files().stream()
        .filter(LimitsFileChange::changes)
        .collect(Collectors.toUnmodifiableList());
  }

  /**
   * The systemd units whose drop-in changes: after {@code systemctl daemon-reload} they must be
   * restarted, since a running service keeps the limits it was started with.
   */
  public List<String> unitsToRestart() {
    return changes().stream()
        .flatMap(change -> change.unit().stream())
        .collect(Collectors.toUnmodifiableList());
  }

  /** True when nothing needs writing and nothing is blocked. */
  @Override
  public boolean isEmpty() {
    return changes().isEmpty() && blocked().isEmpty();
  }

  /**
   * One line: {@code up to date}, or each file to write and each reason the apply is blocked,
   * separated by {@code ;}, such as {@code create /etc/security/limits.d/99-opskit-node.conf}.
   */
  @Override
  public String summary() {
    List<String> parts = new ArrayList<>();
    changes().forEach(file -> parts.add(file.render()));
    blocked().forEach(reason -> parts.add("blocked: " + reason));
    return parts.isEmpty() ? "up to date" : String.join("; ", parts);
  }

  /** A human-readable summary: one line per file, then what blocks the apply. */
  @Override
  public String render() {
    StringBuilder text = new StringBuilder("limits profile ").append(profileName());
    if (isEmpty()) {
      return text.append(": up to date (")
          .append(files().size())
          .append(files().size() == 1 ? " file" : " files")
          .append(")\n")
          .toString();
    }
    text.append('\n');
    for (LimitsFileChange file : files()) {
      text.append("  ").append(file.render()).append('\n');
    }
    for (String reason : blocked()) {
      text.append("  blocked: ").append(reason).append('\n');
    }
    return text.toString();
  }

  /** Builds a {@link LimitsPlan}. */
  public static final class Builder extends ImmutableLimitsPlan.Builder {
    Builder() {}
  }
}
