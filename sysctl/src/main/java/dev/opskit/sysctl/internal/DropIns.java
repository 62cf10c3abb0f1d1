package dev.opskit.sysctl.internal;

import dev.opskit.sysctl.SysctlKey;
import dev.opskit.sysctl.SysctlProfile;
import java.util.Map;

/** Renders a profile's sysctl.d drop-in. Not part of the public API. */
public final class DropIns {
  private DropIns() {}

  /**
   * The drop-in text for {@code profile} with these values (the profile's, or raise-only adjusted),
   * and extra comments per key.
   */
  public static String render(
      SysctlProfile profile, Map<SysctlKey, String> values, Map<SysctlKey, String> comments) {
    StringBuilder text = new StringBuilder();
    text.append("# opskit sysctl profile '")
        .append(profile.name())
        .append("'. Managed file: local edits are overwritten.\n");
    profile.description().ifPresent(d -> text.append("# ").append(d).append('\n'));
    for (Map.Entry<SysctlKey, String> entry : values.entrySet()) {
      SysctlKey key = entry.getKey();
      String note = profile.notes().get(key);
      if (note != null) {
        text.append("# ").append(note).append('\n');
      }
      String comment = comments.get(key);
      if (comment != null) {
        text.append("# ").append(comment).append('\n');
      }
      if (profile.ignoreFailures().contains(key)) {
        text.append('-');
      }
      text.append(key.name()).append(" = ").append(entry.getValue()).append('\n');
    }
    return text.toString();
  }
}
