package dev.opskit.sysctl.internal;

import dev.opskit.core.Command;
import dev.opskit.core.ExecResult;
import dev.opskit.core.OpskitException;
import dev.opskit.sysctl.SysctlKey;
import dev.opskit.sysctl.SysctlObservation;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The POSIX shell scripts the applier runs. Keys, paths and contents are passed as positional
 * arguments or on standard input, never spliced into the script text. Not part of the public API.
 */
public final class Scripts {
  /**
   * Reads the drop-in file ($1) and then each /proc/sys path (remaining arguments). Output is
   * NUL-separated records of a tag and a body: F/X for the file (present/absent), then V (value), N
   * (no such key) or U (exists, unreadable) per key, then S with the network namespace of the
   * shell, that of PID 1 (either empty when unreadable) and 1 or 0 for whether
   * net.core.netdev_max_backlog, which the kernel shows only in the host's network namespace, is
   * visible; separated by spaces.
   */
  static final String OBSERVE =
      "f=$1; shift\n"
          + "if [ -f \"$f\" ]; then printf 'F\\000'; cat -- \"$f\" || exit 3; printf '\\000';\n"
          + "else printf 'X\\000\\000'; fi\n"
          + "for k do\n"
          + "  p=/proc/sys/$k\n"
          + "  if [ ! -e \"$p\" ]; then printf 'N\\000\\000'\n"
          + "  elif v=$(cat -- \"$p\" 2>/dev/null); then printf 'V\\000%s\\000' \"$v\"\n"
          + "  else printf 'U\\000\\000'; fi\n"
          + "done\n"
          + "s=$(readlink /proc/self/ns/net 2>/dev/null) || s=\n"
          + "h=$(readlink /proc/1/ns/net 2>/dev/null) || h=\n"
          + "if [ -e /proc/sys/net/core/netdev_max_backlog ]; then i=1\n"
          + "elif [ -d /proc/sys/net/core ]; then i=0; else i=; fi\n"
          + "printf 'S\\000%s %s %s\\000' \"$s\" \"$h\" \"$i\"\n";

  /**
   * Renames the staged drop-in $1 over the target $2, once it has been loaded and verified. Says in
   * one line what failed.
   */
  static final String COMMIT =
      "mv -f -- \"$1\" \"$2\" 2>/dev/null || { echo \"cannot rename $1 to $2\" >&2; exit 1; }\n";

  /**
   * Rolls a failed apply back: removes the staged drop-in $1 (when not empty), then for each
   * following triple of arguments (path below /proc/sys, the value the apply left, the value before
   * it) writes the value before back to the kernel, but only where the key still holds the value
   * the apply left (whitespace collapsed): a key another apply changed since keeps that apply's
   * value and is printed as {@code kept PATH}.
   */
  static final String ROLLBACK =
      "rc=0; staged=$1; shift\n"
          + "set -f\n"
          + "norm() { set -- $1; printf '%s' \"$*\"; }\n"
          + "if [ -n \"$staged\" ]; then rm -f -- \"$staged\" || rc=1; fi\n"
          + "while [ $# -ge 3 ]; do\n"
          + "  now=$(cat -- \"/proc/sys/$1\" 2>/dev/null) || now=\n"
          + "  now=$(norm \"$now\")\n"
          + "  if [ \"$now\" = \"$(norm \"$2\")\" ]; then\n"
          + "    printf '%s\\n' \"$3\" > \"/proc/sys/$1\" || { echo \"cannot restore $1\" >&2; rc=1; }\n"
          + "  elif [ \"$now\" != \"$(norm \"$3\")\" ]; then printf 'kept %s\\n' \"$1\"; fi\n"
          + "  shift 3\n"
          + "done\n"
          + "exit $rc\n";

  /**
   * Writes standard input to $1/$2 atomically: a temp file in the same folder (a dot name not
   * ending in .conf, so no loader ever reads it), mode 0644, flushed, then renamed over the target.
   * On any failure the temp file is removed and the target is untouched. With a third argument
   * {@code mkdir}, the folder is created first (mode 0755) when missing. A missing or read-only
   * folder fails with one line saying so.
   */
  static final String WRITE_ATOMIC =
      "set -eu\n"
          + "dir=$1; name=$2\n"
          + "if [ \"${3:-}\" = mkdir ]; then mkdir -p -m 0755 -- \"$dir\"; fi\n"
          + "if [ ! -d \"$dir\" ]; then echo \"folder $dir does not exist\" >&2; exit 2; fi\n"
          + "if [ -d \"$dir/$name\" ]; then echo \"$dir/$name is a directory\" >&2; exit 2; fi\n"
          + "tmp=$(mktemp \"$dir/.$name.XXXXXX\" 2>/dev/null) || {\n"
          + "  echo \"cannot create a file in $dir (read-only or permission denied)\" >&2; exit 2; }\n"
          + "trap 'rm -f -- \"$tmp\"' EXIT\n"
          + "cat > \"$tmp\"\n"
          + "chmod 0644 \"$tmp\"\n"
          + "sync \"$tmp\" 2>/dev/null || true\n"
          + "mv -f -- \"$tmp\" \"$dir/$name\"\n"
          + "trap - EXIT\n";

  /**
   * Prints every *.conf file of the folders given as arguments, then /etc/sysctl.conf, as
   * NUL-separated path and content pairs. A file masked by a /dev/null symlink prints empty.
   */
  static final String READ_CONFIGURATION =
      "for d do\n"
          + "  [ -d \"$d\" ] || continue\n"
          + "  for f in \"$d\"/*.conf; do\n"
          + "    if [ -f \"$f\" ] || [ -c \"$f\" ]; then\n"
          + "      printf '%s\\000' \"$f\"; cat -- \"$f\" || exit 3; printf '\\000'\n"
          + "    fi\n"
          + "  done\n"
          + "done\n"
          + "if [ -f /etc/sysctl.conf ]; then\n"
          + "  printf '%s\\000' /etc/sysctl.conf; cat -- /etc/sysctl.conf || exit 3; printf '\\000'\n"
          + "fi\n";

  /**
   * Reads the files given as arguments after the first, then prints the first ({@code
   * /proc/sys/fs/nr_open}) and the shell's soft and hard open-file limits. Output is NUL-separated
   * records of a tag and a body: F (regular file, body is its content), X (absent) or D (exists,
   * not a regular file) per file; then three L records (body empty when unreadable).
   */
  static final String READ_FILES =
      "nr=$1; shift\n"
          + "for f do\n"
          + "  if [ -f \"$f\" ]; then printf 'F\\000'; cat -- \"$f\" || exit 3; printf '\\000'\n"
          + "  elif [ -e \"$f\" ] || [ -L \"$f\" ]; then printf 'D\\000\\000'\n"
          + "  else printf 'X\\000\\000'; fi\n"
          + "done\n"
          + "v=$(cat -- \"$nr\" 2>/dev/null) || v=; printf 'L\\000%s\\000' \"$v\"\n"
          + "v=$(ulimit -Sn 2>/dev/null) || v=; printf 'L\\000%s\\000' \"$v\"\n"
          + "v=$(ulimit -Hn 2>/dev/null) || v=; printf 'L\\000%s\\000' \"$v\"\n";

  /** What {@link #readFiles(List)} found at one path. */
  public enum FileState {
    /** A regular file (or a link to one). */
    FILE,
    /** Nothing there. */
    ABSENT,
    /** Something that is not a regular file: a folder, a device, a dangling link. */
    NOT_A_FILE
  }

  /** The parsed output of {@link #readFiles(List)}. */
  public static final class FileRead {
    /** State per path, in argument order. */
    public final Map<String, FileState> states;

    /** Content of every {@link FileState#FILE}. */
    public final Map<String, String> contents;

    /** {@code /proc/sys/fs/nr_open}, when readable. */
    public final String nrOpen;

    /** The reading shell's soft open-file limit, when known. */
    public final String nofileSoft;

    /** The reading shell's hard open-file limit, when known. */
    public final String nofileHard;

    FileRead(
        Map<String, FileState> states,
        Map<String, String> contents,
        String nrOpen,
        String nofileSoft,
        String nofileHard) {
      this.states = states;
      this.contents = contents;
      this.nrOpen = nrOpen;
      this.nofileSoft = nofileSoft;
      this.nofileHard = nofileHard;
    }
  }

  private Scripts() {}

  /** Where the kernel's ceiling for open files is read. */
  public static final String NR_OPEN = "/proc/sys/fs/nr_open";

  /** The single command that reads {@code paths} and the open-file limits of the host. */
  public static Command readFiles(List<String> paths) {
    return Command.builder()
        .addArgv("sh", "-c", READ_FILES, "sh", NR_OPEN)
        .addAllArgv(paths)
        .build();
  }

  /** Parses the output of {@link #readFiles(List)}. */
  public static FileRead parseFiles(List<String> paths, byte[] stdout) {
    List<String> fields = splitNul(new String(stdout, StandardCharsets.UTF_8));
    if (fields.size() != 2 * (paths.size() + 3)) {
      throw new OpskitException(
          "unexpected output reading files: " + fields.size() + " fields for " + paths.size());
    }
    Map<String, FileState> states = new LinkedHashMap<>();
    Map<String, String> contents = new LinkedHashMap<>();
    for (int i = 0; i < paths.size(); i++) {
      String path = paths.get(i);
      String tag = fields.get(2 * i);
      switch (tag) {
        case "F":
          states.put(path, FileState.FILE);
          contents.put(path, fields.get(2 * i + 1));
          break;
        case "X":
          states.put(path, FileState.ABSENT);
          break;
        case "D":
          states.put(path, FileState.NOT_A_FILE);
          break;
        default:
          throw new OpskitException("unexpected record tag '" + tag + "' reading " + path);
      }
    }
    int live = 2 * paths.size();
    for (int i = 0; i < 3; i++) {
      if (!fields.get(live + 2 * i).equals("L")) {
        throw new OpskitException("unexpected output reading open-file limits");
      }
    }
    return new FileRead(
        states,
        contents,
        fields.get(live + 1).strip(),
        fields.get(live + 3).strip(),
        fields.get(live + 5).strip());
  }

  /** The single command that observes {@code keys} and the drop-in at {@code dropInPath}. */
  public static Command observe(String dropInPath, List<SysctlKey> keys) {
    Command.Builder command = Command.builder().addArgv("sh", "-c", OBSERVE, "sh", dropInPath);
    for (SysctlKey key : keys) {
      command.addArgv(key.relativePath());
    }
    return command.build();
  }

  /** Parses the output of {@link #observe(String, List)}. */
  public static SysctlObservation parseObservation(List<SysctlKey> keys, byte[] stdout) {
    List<String> fields = splitNul(new String(stdout, StandardCharsets.UTF_8));
    if (fields.size() != 2 * (keys.size() + 2)) {
      throw new OpskitException(
          "unexpected output reading /proc/sys: "
              + fields.size()
              + " fields for "
              + keys.size()
              + " keys");
    }
    SysctlObservation.Builder observation = SysctlObservation.builder();
    if (fields.get(0).equals("F")) {
      observation.dropIn(fields.get(1));
    }
    for (int i = 0; i < keys.size(); i++) {
      String tag = fields.get(2 * i + 2);
      String body = fields.get(2 * i + 3);
      SysctlKey key = keys.get(i);
      switch (tag) {
        case "V":
          observation.putValues(key, body);
          break;
        case "N":
          observation.addUnknown(key);
          break;
        case "U":
          observation.addUnreadable(key);
          break;
        default:
          throw new OpskitException("unexpected record tag '" + tag + "' reading " + key);
      }
    }
    int last = 2 * keys.size() + 2;
    if (!fields.get(last).equals("S")) {
      throw new OpskitException("unexpected output reading the network namespace");
    }
    String[] namespaces = fields.get(last + 1).split(" ", -1);
    if (!namespaces[0].isEmpty()) {
      observation.networkNamespace(namespaces[0]);
    }
    if (namespaces.length > 1 && !namespaces[1].isEmpty()) {
      observation.hostNetworkNamespace(namespaces[1]);
    }
    if (namespaces.length > 2 && !namespaces[2].isEmpty()) {
      observation.hostOnlyKeysVisible(namespaces[2].equals("1"));
    }
    return observation.build();
  }

  /** The command that writes {@code content} to {@code directory/fileName} atomically. */
  public static Command writeAtomically(String directory, String fileName, String content) {
    return writeAtomically(directory, fileName, content, false);
  }

  /**
   * The command that writes {@code content} to {@code directory/fileName} atomically, creating the
   * folder first when {@code createDirectory} is set.
   */
  public static Command writeAtomically(
      String directory, String fileName, String content, boolean createDirectory) {
    Command.Builder command =
        Command.builder().addArgv("sh", "-c", WRITE_ATOMIC, "sh", stripSlash(directory), fileName);
    if (createDirectory) {
      command.addArgv("mkdir");
    }
    return command.stdin(content.getBytes(StandardCharsets.UTF_8)).build();
  }

  /**
   * The command that writes {@code content} to the absolute {@code path} atomically, creating its
   * folder first when {@code createDirectory} is set.
   */
  public static Command writeFile(String path, String content, boolean createDirectory) {
    int slash = path.lastIndexOf('/');
    return writeAtomically(
        slash == 0 ? "/" : path.substring(0, slash),
        path.substring(slash + 1),
        content,
        createDirectory);
  }

  /** The command that removes the file at {@code path}, if there is one. */
  public static Command remove(String path) {
    return Command.of("rm", "-f", "--", path);
  }

  /** The command that renames the staged drop-in over the target. */
  public static Command commit(String staged, String target) {
    return Command.of("sh", "-c", COMMIT, "sh", staged, target);
  }

  /**
   * The command that removes the staged drop-in (when {@code staged} is not empty) and writes the
   * {@code previous} live values back, each only where the key still holds the value the apply
   * {@code left}.
   *
   * @throws IllegalArgumentException when {@code left} lacks a key of {@code previous}
   */
  public static Command rollback(
      String staged, Map<SysctlKey, String> left, Map<SysctlKey, String> previous) {
    Command.Builder command = Command.builder().addArgv("sh", "-c", ROLLBACK, "sh", staged);
    previous.forEach(
        (key, value) -> {
          if (!left.containsKey(key)) {
            throw new IllegalArgumentException("no value the apply left for " + key);
          }
          command.addArgv(key.relativePath(), left.get(key), value);
        });
    return command.build();
  }

  /**
   * The keys a {@link #rollback} kept because another apply had changed them since, from its
   * output.
   */
  public static List<String> keptByRollback(ExecResult result) {
    return result
        .stdoutUtf8()
        .lines()
        .filter(line -> line.startsWith("kept "))
        .map(line -> line.substring("kept ".length()).replace('/', '.'))
        .toList();
  }

  /** The command that prints every sysctl configuration file in {@code directories}. */
  public static Command readConfiguration(List<String> directories) {
    return Command.builder()
        .addArgv("sh", "-c", READ_CONFIGURATION, "sh")
        .addAllArgv(directories)
        .build();
  }

  /** Parses the output of {@link #readConfiguration(List)} into path to text, in order. */
  public static Map<String, String> parseConfiguration(byte[] stdout) {
    List<String> fields = splitNul(new String(stdout, StandardCharsets.UTF_8));
    if (fields.size() % 2 != 0) {
      throw new OpskitException("unexpected output listing sysctl configuration files");
    }
    Map<String, String> files = new LinkedHashMap<>();
    for (int i = 0; i < fields.size(); i += 2) {
      files.put(fields.get(i), fields.get(i + 1));
    }
    return files;
  }

  private static String stripSlash(String directory) {
    return directory.length() > 1 && directory.endsWith("/")
        ? directory.substring(0, directory.length() - 1)
        : directory;
  }

  private static List<String> splitNul(String text) {
    List<String> fields = new ArrayList<>();
    int start = 0;
    for (int i = 0; i < text.length(); i++) {
      if (text.charAt(i) == '\0') {
        fields.add(text.substring(start, i));
        start = i + 1;
      }
    }
    if (start != text.length()) {
      throw new OpskitException("unexpected output: unterminated record");
    }
    return fields;
  }
}
