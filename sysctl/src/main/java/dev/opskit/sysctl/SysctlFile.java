package dev.opskit.sysctl;

import dev.opskit.core.internal.OpskitStyle;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import org.immutables.value.Value;

/**
 * A sysctl configuration file ({@code /etc/sysctl.conf} or a file in a {@code sysctl.d} folder):
 * its path and its assignments in file order. {@link #parse(String, String)} follows sysctl.d(5):
 *
 * <ul>
 *   <li>empty lines, and lines whose first non-blank character is {@code #} or {@code ;}, are
 *       comments (there are no comments after a value: {@code a = 1 # x} sets {@code "1 # x"});
 *   <li>an assignment is {@code key = value}; blanks around key and value are ignored, inner blanks
 *       of the value are kept, and the value is everything after the first {@code =};
 *   <li>a {@code -} before the key means a failure to set it is ignored;
 *   <li>a line {@code -key} without {@code =} is an {@linkplain SysctlEntry#exclusion() exclusion}:
 *       the key is left out of glob matches;
 *   <li>keys may be spelled with dots or slashes, and may be glob(7) patterns (see {@link
 *       SysctlKey}).
 * </ul>
 *
 * A line that is not a comment, not an exclusion and has no {@code =}, or whose key or value is
 * invalid, fails {@link #parse(String, String)} with a {@link SysctlParseException} naming the
 * line; {@link #parseTolerant(String, String)} skips such lines as systemd-sysctl and procps do
 * (they log them and go on) and lists them in {@link #problems()}. {@link #render()} gives text
 * that parses back to an equal file.
 *
 * <pre>{@code
 * SysctlFile file = SysctlFile.parse("/etc/sysctl.d/99-k8s.conf", Files.readString(path));
 * for (SysctlEntry entry : file.entries()) { ... }
 * }</pre>
 */
@Value.Immutable
@OpskitStyle
public abstract class SysctlFile {
  SysctlFile() {}

  /** A builder; {@code path} is required. */
  public static Builder builder() {
    return new Builder();
  }

  /** A file at {@code path} with these assignments. */
  public static SysctlFile of(String path, List<SysctlEntry> entries) {
    return builder().path(path).entries(entries).build();
  }

  /**
   * Parses the text of a configuration file.
   *
   * @param path where the file lives (used for its {@linkplain #fileName() name} and in errors)
   * @throws SysctlParseException naming the first line that is not a comment or assignment
   */
  public static SysctlFile parse(String path, String text) {
    return parse(path, text, true);
  }

  /**
   * Parses the text of a configuration file as the loaders do: lines that are neither comments,
   * assignments nor exclusions (or whose key or value is invalid) are skipped and described in
   * {@link #problems()}.
   */
  public static SysctlFile parseTolerant(String path, String text) {
    return parse(path, text, false);
  }

  private static SysctlFile parse(String path, String text, boolean strict) {
    Builder file = builder().path(path);
    String[] lines = text.split("\n", -1);
    for (int i = 0; i < lines.length; i++) {
      int number = i + 1;
      String line = lines[i].strip();
      if (line.isEmpty() || line.startsWith("#") || line.startsWith(";")) {
        continue;
      }
      try {
        file.addEntries(parseLine(line, number));
      } catch (IllegalArgumentException e) {
        if (strict) {
          throw new SysctlParseException(path, number, e.getMessage(), e);
        }
        file.addProblems(path + ":" + number + ": " + e.getMessage());
      }
    }
    return file.build();
  }

  private static SysctlEntry parseLine(String line, int number) {
    boolean dash = line.startsWith("-");
    int equals = line.indexOf('=');
    if (equals < 0) {
      if (!dash) {
        throw new IllegalArgumentException(
            "not an assignment; expected 'key = value' (or '-key' to exclude a key from globs)");
      }
      return SysctlEntry.builder()
          .key(SysctlKey.of(line.substring(1).strip()))
          .value("")
          .exclusion(true)
          .line(number)
          .build();
    }
    String key = line.substring(dash ? 1 : 0, equals).strip();
    return SysctlEntry.builder()
        .key(SysctlKey.of(key))
        .value(line.substring(equals + 1).strip())
        .ignoreFailure(dash)
        .line(number)
        .build();
  }

  /** Where the file lives, such as {@code /etc/sysctl.d/99-opskit-node.conf}. */
  public abstract String path();

  /**
   * The assignments and exclusions in file order (a key may appear more than once; the last one
   * wins).
   */
  public abstract List<SysctlEntry> entries();

  /** The assignments alone, in file order. */
  public List<SysctlEntry> assignments() {
    return entries().stream().filter(e -> !e.exclusion()).collect(Collectors.toUnmodifiableList());
  }

  /**
   * Lines {@link #parseTolerant(String, String)} skipped, each as {@code path:line: problem}; not
   * part of equality.
   */
  @Value.Auxiliary
  public abstract List<String> problems();

  /** The last path component, which decides the order in which sysctl.d files are applied. */
  public String fileName() {
    String path = path();
    return path.substring(path.lastIndexOf('/') + 1);
  }

  /** The folder part of the path, without a trailing slash; empty for a bare name. */
  public String directory() {
    String path = path();
    int slash = path.lastIndexOf('/');
    return slash < 0 ? "" : path.substring(0, slash);
  }

  /** The last assignment of {@code key} in this file (exclusions are not assignments). */
  public Optional<SysctlEntry> lastEntry(SysctlKey key) {
    SysctlEntry found = null;
    for (SysctlEntry entry : entries()) {
      if (entry.key().equals(key) && !entry.exclusion()) {
        found = entry;
      }
    }
    return Optional.ofNullable(found);
  }

  /**
   * The file's text: one {@code [-]key = value} line per assignment and one {@code -key} line per
   * exclusion, newline-terminated.
   */
  public String render() {
    StringBuilder text = new StringBuilder();
    for (SysctlEntry entry : entries()) {
      text.append(entry.render()).append('\n');
    }
    return text.toString();
  }

  @Value.Check
  void check() {
    if (path().isEmpty()) {
      throw new IllegalArgumentException("sysctl file path must not be empty");
    }
    if (path().indexOf('\n') >= 0 || path().indexOf('\0') >= 0) {
      throw new IllegalArgumentException(
          "sysctl file path " + SysctlKey.quote(path()) + " must not contain line breaks or NUL");
    }
  }

  /** Builds a {@link SysctlFile}. */
  public static final class Builder extends ImmutableSysctlFile.Builder {
    Builder() {}
  }
}
