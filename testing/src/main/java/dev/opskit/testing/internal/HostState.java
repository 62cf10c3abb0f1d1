package dev.opskit.testing.internal;

import dev.opskit.core.ExecResult;
import dev.opskit.iptables.IpFamily;
import dev.opskit.iptables.IptablesBackend;
import dev.opskit.iptables.IptablesPersistence;
import dev.opskit.iptables.internal.DatapathProbe;
import dev.opskit.sysctl.SysctlEntry;
import dev.opskit.sysctl.SysctlFile;
import dev.opskit.sysctl.internal.Scripts;
import dev.opskit.sysctl.internal.Values;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Everything a host keeps (files, {@code /proc/sys}, iptables, ipsets, environment, namespaces) and
 * the programs and scripts the appliers run against it. The scripts are recognised by their exact
 * text, taken from the appliers of the same version, and acted out on the state. Not thread-safe:
 * the host guards it.
 */
public final class HostState {
  private static final String OBSERVE = Scripts.observe("/", List.of()).argv().get(2);
  private static final String READ_FILES = Scripts.readFiles(List.of()).argv().get(2);
  private static final String READ_CONFIGURATION =
      Scripts.readConfiguration(List.of()).argv().get(2);
  private static final String WRITE_ATOMIC = Scripts.writeAtomically("/", "x", "").argv().get(2);
  private static final String COMMIT = Scripts.commit("/a", "/b").argv().get(2);
  private static final String ROLLBACK = Scripts.rollback("", Map.of(), Map.of()).argv().get(2);
  private static final String FELIX_ENV = DatapathProbe.FELIX_ENV.get(2);
  private static final String INSTALL_PERSISTENCE = persistenceScript();
  private static final String NATIVE_SAVE =
      IptablesPersistence.nativeSave(IptablesPersistence.Distribution.DEBIAN, IpFamily.IPV4)
          .command()
          .argv()
          .get(2);

  private static final Pattern IPTABLES =
      Pattern.compile("(ip6?tables)(?:-(nft|legacy))?(?:-(save|restore))?");

  /** A running process: its name and environment lines. */
  private record Process(String name, List<String> environment) {}

  public final FileTree files = new FileTree();
  public final Kernel kernel = new Kernel();
  public final Ipsets ipsets = new Ipsets(name -> this.netfilter.usesIpset(name));
  public final Netfilter netfilter = new Netfilter(name -> this.ipsets.exists(name));
  public final Map<String, String> environment = new HashMap<>();
  public final Set<String> missingPrograms = new HashSet<>();
  private final List<Process> processes = new ArrayList<>();
  public IptablesBackend backend = IptablesBackend.NFT;
  public String networkNamespace = "net:[4026531840]";
  public String initNetworkNamespace = "net:[4026531840]";
  public String nofileSoft = "1024";
  public String nofileHard = "524288";
  public List<String> nftTables = new ArrayList<>();
  public int daemonReloads;

  /** Adds a running process. */
  public void process(String name, List<String> environment) {
    processes.add(new Process(name, List.copyOf(environment)));
  }

  /** The key the batches name their host files after: the network namespace's inode. */
  public String namespaceKey() {
    Matcher m = Pattern.compile(".*\\[([0-9]+)]").matcher(networkNamespace);
    return m.matches() ? m.group(1) : "";
  }

  /**
   * Runs one program with {@code input} on its standard input.
   *
   * @throws IllegalStateException for a program or arguments this host does not understand
   */
  public Output run(List<String> argv, String input) {
    String program = argv.get(0);
    List<String> args = argv.subList(1, argv.size());
    if (missingPrograms.contains(program)) {
      return Output.fail(127, "sh: 1: " + program + ": not found");
    }
    Matcher iptables = IPTABLES.matcher(program);
    if (iptables.matches()) {
      return iptables(program, iptables, args, input);
    }
    switch (program) {
      case "sh":
        if (args.size() >= 2 && args.get(0).equals("-c")) {
          return script(
              argv, args.get(1), args.subList(Math.min(3, args.size()), args.size()), input);
        }
        break;
      case "ipset":
        return ipsets.command(args, input);
      case "sysctl":
        return sysctl(argv, args);
      case "printenv":
        if (args.size() == 1) {
          String value = environment.get(args.get(0));
          return value == null ? new Output(1, "", "") : Output.ok(value + "\n");
        }
        break;
      case "cat":
        if (args.size() == 1) {
          return read(args.get(0))
              .map(Output::ok)
              .orElse(Output.fail(1, "cat: " + args.get(0) + ": No such file or directory"));
        }
        break;
      case "rm":
        // rm -f -- PATH...: the sysctl applier's rollback of a drop-in it created
        if (args.size() >= 3 && args.get(0).equals("-f") && args.get(1).equals("--")) {
          for (String path : args.subList(2, args.size())) {
            if (files.isReadOnly(FileTree.parent(path))) {
              return Output.fail(1, "rm: cannot remove '" + path + "': Read-only file system");
            }
            files.delete(path);
          }
          return Output.ok("");
        }
        break;
      case "readlink":
        if (args.size() == 1) {
          String link = namespaceLink(args.get(0));
          if (link != null) {
            return link.isEmpty() ? new Output(1, "", "") : Output.ok(link + "\n");
          }
        }
        break;
      case "ls":
        if (args.size() == 1) {
          if (!files.isDirectory(args.get(0))) {
            return Output.fail(
                2, "ls: cannot access '" + args.get(0) + "': No such file or directory");
          }
          StringBuilder out = new StringBuilder();
          files.list(args.get(0)).forEach(name -> out.append(name).append('\n'));
          return Output.ok(out.toString());
        }
        break;
      case "nft":
        if (args.equals(List.of("list", "tables"))) {
          StringBuilder out = new StringBuilder();
          nftTables.forEach(t -> out.append(t).append('\n'));
          return Output.ok(out.toString());
        }
        break;
      case "systemctl":
        if (args.equals(List.of("daemon-reload"))) {
          daemonReloads++;
          return Output.ok("");
        }
        if (args.size() == 2
            && Set.of("enable", "disable", "restart", "start", "stop").contains(args.get(0))) {
          return Output.ok("");
        }
        break;
      default:
        break;
    }
    throw new IllegalStateException("FakeHost does not understand the command " + argv);
  }

  private String namespaceLink(String path) {
    return switch (path) {
      case "/proc/self/ns/net", "/proc/thread-self/ns/net" -> networkNamespace;
      case "/proc/1/ns/net" -> initNetworkNamespace;
      default -> null;
    };
  }

  /** A file, or a value under {@code /proc/sys} (with its line break). */
  private Optional<String> read(String path) {
    if (path.startsWith("/proc/sys/")) {
      return kernel.read(path).map(v -> v + "\n");
    }
    return files.read(path);
  }

  private Output iptables(String program, Matcher name, List<String> args, String input) {
    IpFamily family = name.group(1).equals("ip6tables") ? IpFamily.IPV6 : IpFamily.IPV4;
    IptablesBackend used =
        name.group(2) == null
            ? backend
            : name.group(2).equals("nft") ? IptablesBackend.NFT : IptablesBackend.LEGACY;
    String kind = name.group(3);
    if (kind == null) {
      if (args.equals(List.of("--version")) || args.equals(List.of("-V"))) {
        return Output.ok(
            name.group(1)
                + " v1.8.9 ("
                + (used == IptablesBackend.NFT ? "nf_tables" : "legacy")
                + ")\n");
      }
      return netfilter.command(program, used, family, args);
    }
    if (kind.equals("save")) {
      Optional<String> table = Optional.empty();
      for (int i = 0; i < args.size(); i++) {
        if ((args.get(i).equals("-t") || args.get(i).equals("--table")) && i + 1 < args.size()) {
          table = Optional.of(args.get(++i));
        } else {
          throw new IllegalStateException("FakeHost does not understand " + program + " " + args);
        }
      }
      return Output.ok(netfilter.save(used, family, table));
    }
    boolean noflush = false;
    String text = input;
    for (int i = 0; i < args.size(); i++) {
      String arg = args.get(i);
      if (arg.equals("--noflush") || arg.equals("-n")) {
        noflush = true;
      } else if (arg.equals("-w") || arg.equals("--wait") || arg.equals("-W")) {
        if (i + 1 < args.size() && args.get(i + 1).matches("[0-9.]+")) {
          i++;
        }
      } else if (arg.startsWith("/") && i == args.size() - 1) {
        Optional<String> file = files.read(arg);
        if (file.isEmpty()) {
          return Output.fail(1, program + ": Can't open " + arg + ": No such file or directory");
        }
        text = file.get();
      } else {
        throw new IllegalStateException("FakeHost does not understand " + program + " " + args);
      }
    }
    return netfilter.restore(program, used, family, text, noflush);
  }

  private Output sysctl(List<String> argv, List<String> args) {
    boolean ignoreUnknown = false;
    boolean quiet = false;
    boolean values = false;
    String load = null;
    List<String> rest = new ArrayList<>();
    for (int i = 0; i < args.size(); i++) {
      String arg = args.get(i);
      switch (arg) {
        case "-e", "--ignore" -> ignoreUnknown = true;
        case "-q", "--quiet" -> quiet = true;
        case "-n", "--values" -> values = true;
        case "-w", "--write" -> {}
        case "-p", "--load" ->
            load =
                i + 1 < args.size() && !args.get(i + 1).startsWith("-")
                    ? args.get(++i)
                    : "/etc/sysctl.conf";
        default -> {
          if (arg.startsWith("-")) {
            throw new IllegalStateException("FakeHost does not understand the command " + argv);
          }
          rest.add(arg);
        }
      }
    }
    List<SysctlEntry> entries = new ArrayList<>();
    if (load != null) {
      Optional<String> text = files.read(load);
      if (text.isEmpty()) {
        return Output.fail(255, "sysctl: cannot open \"" + load + "\": No such file or directory");
      }
      try {
        entries.addAll(SysctlFile.parse(load, text.get()).assignments());
      } catch (RuntimeException e) {
        return Output.fail(255, "sysctl: " + e.getMessage());
      }
    }
    StringBuilder out = new StringBuilder();
    StringBuilder err = new StringBuilder();
    int exit = 0;
    for (String word : rest) {
      int equals = word.indexOf('=');
      if (equals < 0) {
        Optional<String> value = kernel.read(word);
        if (value.isEmpty()) {
          err.append("sysctl: cannot stat /proc/sys/").append(Kernel.path(word));
          err.append(": No such file or directory\n");
          exit = 255;
        } else {
          out.append(values ? "" : word + " = ").append(value.get()).append('\n');
        }
      } else {
        entries.add(
            SysctlEntry.of(word.substring(0, equals).strip(), word.substring(equals + 1).strip()));
      }
    }
    for (SysctlEntry entry : entries) {
      if (entry.exclusion()) {
        continue;
      }
      String key = entry.key().name();
      Optional<String> error = kernel.write(key, entry.value());
      if (error.isEmpty()) {
        if (!quiet) {
          out.append(key).append(" = ").append(entry.value()).append('\n');
        }
      } else if (error.get().startsWith("No such") && (ignoreUnknown || entry.ignoreFailure())) {
        continue;
      } else if (!entry.ignoreFailure()) {
        err.append(
            error.get().startsWith("No such")
                ? "sysctl: cannot stat /proc/sys/" + entry.key().relativePath() + ": " + error.get()
                : "sysctl: setting key \"" + key + "\": " + error.get());
        err.append('\n');
        exit = 255;
      }
    }
    return new Output(exit, out.toString(), err.toString());
  }

  private Output script(List<String> argv, String script, List<String> args, String input) {
    if (script.equals(OBSERVE)) {
      return observe(args);
    } else if (script.equals(READ_FILES)) {
      return readFiles(args);
    } else if (script.equals(READ_CONFIGURATION)) {
      return readConfiguration(args);
    } else if (script.equals(WRITE_ATOMIC)) {
      return writeAtomically(args, input);
    } else if (script.equals(COMMIT)) {
      if (!files.isFile(args.get(0)) || files.isDirectory(args.get(1))) {
        return Output.fail(1, "cannot rename " + args.get(0) + " to " + args.get(1));
      }
      files.write(args.get(1), files.read(args.get(0)).orElseThrow());
      files.delete(args.get(0));
      return Output.ok("");
    } else if (script.equals(ROLLBACK)) {
      return rollback(args);
    } else if (script.equals(FELIX_ENV)) {
      Set<String> lines = new TreeSet<>();
      for (Process process : processes) {
        if (process.name().equals("calico-node") || process.name().equals("calico-felix")) {
          process.environment().stream()
              .filter(line -> line.startsWith("FELIX_BPFENABLED="))
              .forEach(lines::add);
        }
      }
      return Output.ok(lines.stream().map(l -> l + "\n").reduce("", String::concat));
    } else if (script.equals(INSTALL_PERSISTENCE)) {
      files.write(args.get(0), input);
      return Output.ok("");
    } else if (script.equals(NATIVE_SAVE)) {
      Output saved = run(List.of(args.get(0)), "");
      if (saved.isSuccess()) {
        files.write(args.get(1), saved.stdout());
      }
      return saved.isSuccess() ? Output.ok("") : saved;
    }
    throw new IllegalStateException(
        "FakeHost does not understand the script of "
            + argv.subList(0, 2)
            + " (first line: "
            + script.lines().findFirst().orElse("")
            + ") with arguments "
            + args);
  }

  private Output observe(List<String> args) {
    StringBuilder out = new StringBuilder();
    Optional<String> dropIn = files.read(args.get(0));
    out.append(dropIn.map(text -> "F\0" + text + "\0").orElse("X\0\0"));
    for (String key : args.subList(1, args.size())) {
      out.append(kernel.read(key).map(v -> "V\0" + v + "\0").orElse("N\0\0"));
    }
    String visible =
        kernel.has("net/core/netdev_max_backlog") ? "1" : kernel.hasFolder("net/core") ? "0" : "";
    out.append("S\0")
        .append(networkNamespace)
        .append(' ')
        .append(initNetworkNamespace)
        .append(' ')
        .append(visible)
        .append('\0');
    return Output.ok(out.toString());
  }

  private Output readFiles(List<String> args) {
    StringBuilder out = new StringBuilder();
    for (String path : args.subList(1, args.size())) {
      Optional<String> text = files.read(path);
      if (text.isPresent()) {
        out.append("F\0").append(text.get()).append('\0');
      } else {
        out.append(files.exists(path) ? "D\0\0" : "X\0\0");
      }
    }
    out.append("L\0").append(kernel.read(args.get(0)).orElse("")).append('\0');
    out.append("L\0").append(nofileSoft).append('\0');
    out.append("L\0").append(nofileHard).append('\0');
    return Output.ok(out.toString());
  }

  private Output readConfiguration(List<String> directories) {
    StringBuilder out = new StringBuilder();
    for (String directory : directories) {
      if (!files.isDirectory(directory)) {
        continue;
      }
      for (String name : files.list(directory)) {
        String path = FileTree.clean(directory) + "/" + name;
        if (name.endsWith(".conf") && !name.startsWith(".") && files.isFile(path)) {
          out.append(path).append('\0').append(files.read(path).orElseThrow()).append('\0');
        }
      }
    }
    files
        .read("/etc/sysctl.conf")
        .ifPresent(text -> out.append("/etc/sysctl.conf\0").append(text).append('\0'));
    return Output.ok(out.toString());
  }

  private Output writeAtomically(List<String> args, String input) {
    String directory = args.get(0);
    String target = FileTree.clean(directory) + "/" + args.get(1);
    if (args.size() > 2 && args.get(2).equals("mkdir")) {
      try {
        files.mkdirs(directory);
      } catch (IllegalStateException e) {
        return Output.fail(1, "mkdir: cannot create directory '" + directory + "': File exists");
      }
    }
    if (!files.isDirectory(directory)) {
      return Output.fail(2, "folder " + directory + " does not exist");
    }
    if (files.isDirectory(target)) {
      return Output.fail(2, target + " is a directory");
    }
    if (files.isReadOnly(directory)) {
      return Output.fail(
          2, "cannot create a file in " + directory + " (read-only or permission denied)");
    }
    files.write(target, input);
    return Output.ok("");
  }

  /** Acts out the rollback: each key back to its value before, while it holds what was left. */
  private Output rollback(List<String> args) {
    StringBuilder out = new StringBuilder();
    StringBuilder err = new StringBuilder();
    if (!args.get(0).isEmpty()) {
      files.delete(args.get(0));
    }
    for (int i = 1; i + 2 < args.size(); i += 3) {
      String path = args.get(i);
      String now = Values.normalize(kernel.read(path).orElse(""));
      if (now.equals(Values.normalize(args.get(i + 1)))) {
        if (kernel.write(path, args.get(i + 2)).isPresent()) {
          err.append("cannot restore ").append(path).append('\n');
        }
      } else if (!now.equals(Values.normalize(args.get(i + 2)))) {
        out.append("kept ").append(path).append('\n');
      }
    }
    return new Output(err.length() == 0 ? 0 : 1, out.toString(), err.toString());
  }

  private static String persistenceScript() {
    AtomicReference<String> script = new AtomicReference<>();
    try {
      IptablesPersistence.builder()
          .owner("probe")
          .build()
          .install(
              command -> {
                script.compareAndSet(null, command.argv().get(2));
                return ExecResult.of(command, 0, "", "", Duration.ZERO);
              });
    } catch (IOException e) {
      throw new IllegalStateException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
    return script.get();
  }
}
