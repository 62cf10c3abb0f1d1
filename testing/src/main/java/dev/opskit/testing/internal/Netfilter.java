package dev.opskit.testing.internal;

import dev.opskit.iptables.IpFamily;
import dev.opskit.iptables.IptablesBackend;
import dev.opskit.iptables.Table;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The iptables tables of a host, one set per backend and family: rules written through one backend
 * are invisible to the other's {@code -save}, as on a real host. Understands {@code
 * iptables-restore} input (with and without {@code --noflush}), renders {@code iptables-save}
 * output, and runs single {@code iptables} commands. Not thread-safe: the host guards it.
 */
public final class Netfilter {
  /** Built-in and extension targets are upper-case words; chains have a dash or lower case. */
  private static final Pattern TARGET_WORD = Pattern.compile("[A-Z]+");

  private static final Pattern OPERATION =
      Pattern.compile("(-[AIDNXFPCZ])(?:\\s+(\\S+))?(?:\\s+(.*))?");

  private static final class Chain {
    String policy;
    final List<String> rules = new ArrayList<>();

    Chain(String policy) {
      this.policy = policy;
    }

    Chain copy() {
      Chain copy = new Chain(policy);
      copy.rules.addAll(rules);
      return copy;
    }
  }

  private static final class Rules {
    final Map<String, Chain> chains = new LinkedHashMap<>();

    static Rules fresh(String table) {
      Rules rules = new Rules();
      for (String builtin : Table.builtinChains(table)) {
        rules.chains.put(builtin, new Chain("ACCEPT"));
      }
      return rules;
    }

    Rules copy() {
      Rules copy = new Rules();
      chains.forEach((name, chain) -> copy.chains.put(name, chain.copy()));
      return copy;
    }
  }

  /** A line the kernel (or iptables) refuses, and why. */
  private static final class Refused extends Exception {
    private static final long serialVersionUID = 1L;

    Refused(String reason) {
      super(reason, null, false, false);
    }
  }

  private final Map<String, Map<String, Rules>> tables = new LinkedHashMap<>();
  private final Predicate<String> ipsetExists;

  /** Tables that check {@code --match-set} names with {@code ipsetExists}. */
  public Netfilter(Predicate<String> ipsetExists) {
    this.ipsetExists = ipsetExists;
  }

  private Map<String, Rules> tables(IptablesBackend backend, IpFamily family) {
    return tables.computeIfAbsent(backend + "/" + family, k -> new LinkedHashMap<>());
  }

  /**
   * Runs {@code iptables-restore} input: each table between {@code *name} and {@code COMMIT} is
   * changed as a whole or not at all; the first refused line stops the restore (tables committed
   * before it stay).
   */
  public Output restore(
      String program, IptablesBackend backend, IpFamily family, String input, boolean noflush) {
    Map<String, Rules> live = tables(backend, family);
    String tableName = null;
    Rules table = null;
    String[] lines = input.split("\n", -1);
    for (int i = 0; i < lines.length; i++) {
      String line = lines[i].strip();
      int number = i + 1;
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      try {
        if (line.startsWith("*")) {
          if (table != null) {
            throw new Refused("table " + tableName + " has no COMMIT");
          }
          tableName = line.substring(1).strip();
          table = open(live, tableName, noflush);
        } else if (line.equals("COMMIT")) {
          if (table == null) {
            throw new Refused("COMMIT outside a table");
          }
          live.put(tableName, table);
          table = null;
        } else if (table == null) {
          throw new Refused("no table named before this line");
        } else if (line.startsWith(":")) {
          declare(table, tableName, line, noflush);
        } else {
          operate(table, tableName, line);
        }
      } catch (Refused e) {
        return new Output(
            1,
            "",
            program + ": " + e.getMessage() + "\n" + program + ": line " + number + " failed\n");
      }
    }
    if (table != null) {
      return new Output(1, "", program + ": COMMIT expected at line " + lines.length + "\n");
    }
    return Output.ok("");
  }

  private static Rules open(Map<String, Rules> live, String name, boolean noflush) throws Refused {
    try {
      Table.builtinChains(name);
    } catch (IllegalArgumentException e) {
      throw new Refused("can't initialize table `" + name + "': Table does not exist");
    }
    Rules existing = live.get(name);
    return existing == null || !noflush ? Rules.fresh(name) : existing.copy();
  }

  private static void declare(Rules table, String tableName, String line, boolean noflush)
      throws Refused {
    String[] parts = line.substring(1).split("\\s+");
    String name = parts[0];
    String policy = parts.length > 1 ? parts[1] : "-";
    boolean builtin = Table.builtinChains(tableName).contains(name);
    Chain chain = table.chains.get(name);
    if (builtin) {
      if (!policy.equals("-")) {
        chain.policy = policy;
      }
      if (!noflush) {
        chain.rules.clear();
      }
    } else if (!policy.equals("-")) {
      throw new Refused("chain " + name + " is not built in and cannot have a policy");
    } else if (chain == null) {
      table.chains.put(name, new Chain(null));
    } else {
      chain.rules.clear();
    }
  }

  private void operate(Rules table, String tableName, String line) throws Refused {
    Matcher m = OPERATION.matcher(line);
    if (!m.matches()) {
      throw new IllegalStateException("FakeHost does not understand the iptables line: " + line);
    }
    String op = m.group(1);
    String name = m.group(2);
    String rest = m.group(3) == null ? "" : m.group(3).strip().replaceAll("\\s+", " ");
    Chain chain = name == null ? null : table.chains.get(name);
    boolean builtin = name != null && Table.builtinChains(tableName).contains(name);
    if (name != null && chain == null && !op.equals("-N") && !op.equals("-X")) {
      throw new Refused("chain '" + name + "' does not exist");
    }
    switch (op) {
      case "-A" -> chain.rules.add(checked(table, rest));
      case "-I" -> {
        Matcher at = Pattern.compile("([0-9]+)(?:\\s+(.*))?").matcher(rest);
        int index = 1;
        String spec = rest;
        if (at.matches()) {
          index = Integer.parseInt(at.group(1));
          spec = at.group(2) == null ? "" : at.group(2);
        }
        if (index < 1 || index > chain.rules.size() + 1) {
          throw new Refused("index of insertion too big");
        }
        chain.rules.add(index - 1, checked(table, spec));
      }
      case "-D" -> {
        if (rest.matches("[0-9]+")) {
          int index = Integer.parseInt(rest);
          if (index < 1 || index > chain.rules.size()) {
            throw new Refused("index of deletion too big");
          }
          chain.rules.remove(index - 1);
        } else if (!chain.rules.remove(rest)) {
          throw new Refused("Bad rule (does a matching rule exist in that chain?)");
        }
      }
      case "-C" -> {
        if (!chain.rules.contains(rest)) {
          throw new Refused("Bad rule (does a matching rule exist in that chain?)");
        }
      }
      case "-N" -> {
        if (chain != null) {
          throw new Refused("chain '" + name + "' already exists");
        }
        table.chains.put(name, new Chain(null));
      }
      case "-X" -> {
        List<String> names = name == null ? userChains(table, tableName) : List.of(name);
        for (String victim : names) {
          deleteChain(table, tableName, victim, name != null);
        }
      }
      case "-F" -> {
        if (chain == null) {
          table.chains.values().forEach(c -> c.rules.clear());
        } else {
          chain.rules.clear();
        }
      }
      case "-Z" -> {}
      case "-P" -> {
        if (!builtin) {
          throw new Refused("chain " + name + " is not built in and has no policy");
        }
        chain.policy = rest;
      }
      default -> throw new IllegalStateException("FakeHost does not understand " + line);
    }
  }

  private static List<String> userChains(Rules table, String tableName) {
    return table.chains.keySet().stream()
        .filter(c -> !Table.builtinChains(tableName).contains(c))
        .toList();
  }

  private static void deleteChain(Rules table, String tableName, String name, boolean named)
      throws Refused {
    Chain chain = table.chains.get(name);
    if (chain == null || Table.builtinChains(tableName).contains(name)) {
      throw new Refused("chain '" + name + "' does not exist or is built in");
    }
    boolean used = false;
    for (Chain other : table.chains.values()) {
      for (String rule : other.rules) {
        used |= targets(rule).contains(name);
      }
    }
    if (!chain.rules.isEmpty() || used) {
      if (named) {
        throw new Refused(
            "chain '" + name + "' is " + (used ? "referenced by a rule" : "not empty"));
      }
      return;
    }
    table.chains.remove(name);
  }

  /** {@code spec}, once its jump targets and ipsets are known to exist. */
  private String checked(Rules table, String spec) throws Refused {
    for (String target : targets(spec)) {
      if (!table.chains.containsKey(target) && !TARGET_WORD.matcher(target).matches()) {
        throw new Refused("Couldn't load target `" + target + "': No such file or directory");
      }
    }
    List<String> words = words(spec);
    for (int i = 0; i + 1 < words.size(); i++) {
      if (words.get(i).equals("--match-set") && !ipsetExists.test(words.get(i + 1))) {
        throw new Refused("Set " + words.get(i + 1) + " doesn't exist.");
      }
    }
    return spec;
  }

  /** The chains and targets a rule jumps or goes to. */
  private static List<String> targets(String spec) {
    List<String> words = words(spec);
    List<String> targets = new ArrayList<>();
    for (int i = 0; i + 1 < words.size(); i++) {
      String word = words.get(i);
      if (word.equals("-j")
          || word.equals("--jump")
          || word.equals("-g")
          || word.equals("--goto")) {
        targets.add(words.get(i + 1));
      }
    }
    return targets;
  }

  /** A rule's words, double-quoted parts kept together (with their quotes). */
  static List<String> words(String spec) {
    List<String> words = new ArrayList<>();
    StringBuilder word = new StringBuilder();
    boolean quoted = false;
    for (int i = 0; i < spec.length(); i++) {
      char c = spec.charAt(i);
      if (c == '"' && (i == 0 || spec.charAt(i - 1) != '\\')) {
        quoted = !quoted;
      }
      if (Character.isWhitespace(c) && !quoted) {
        if (word.length() > 0) {
          words.add(word.toString());
          word.setLength(0);
        }
      } else {
        word.append(c);
      }
    }
    if (word.length() > 0) {
      words.add(word.toString());
    }
    return words;
  }

  /** True when any rule of any backend and family matches the ipset {@code name}. */
  public boolean usesIpset(String name) {
    for (Map<String, Rules> family : tables.values()) {
      for (Rules table : family.values()) {
        for (Chain chain : table.chains.values()) {
          for (String rule : chain.rules) {
            List<String> words = words(rule);
            for (int i = 0; i + 1 < words.size(); i++) {
              if (words.get(i).equals("--match-set") && words.get(i + 1).equals(name)) {
                return true;
              }
            }
          }
        }
      }
    }
    return false;
  }

  /** {@code iptables-save} output: every table, or just {@code only}. */
  public String save(IptablesBackend backend, IpFamily family, Optional<String> only) {
    StringBuilder out = new StringBuilder();
    for (Map.Entry<String, Rules> entry : tables(backend, family).entrySet()) {
      String name = entry.getKey();
      if (only.isPresent() && !only.get().equals(name)) {
        continue;
      }
      List<String> order = new ArrayList<>(Table.builtinChains(name));
      entry.getValue().chains.keySet().stream()
          .filter(c -> !order.contains(c))
          .sorted()
          .forEach(order::add);
      out.append('*').append(name).append('\n');
      for (String chain : order) {
        String policy = entry.getValue().chains.get(chain).policy;
        out.append(':').append(chain).append(' ').append(policy == null ? "-" : policy);
        out.append(" [0:0]\n");
      }
      for (String chain : order) {
        for (String rule : entry.getValue().chains.get(chain).rules) {
          out.append("-A ").append(chain).append(rule.isEmpty() ? "" : " " + rule).append('\n');
        }
      }
      out.append("COMMIT\n");
    }
    return out.toString();
  }

  /**
   * {@code iptables -t TABLE -S} output: the built-in chains' policies, the other chains, then the
   * rules, each as {@code iptables-save} prints it; a table never used lists its built-in chains.
   */
  private String list(IptablesBackend backend, IpFamily family, String table) {
    StringBuilder out = new StringBuilder();
    String saved = save(backend, family, Optional.of(table));
    if (saved.isEmpty()) {
      Table.builtinChains(table).forEach(c -> out.append("-P ").append(c).append(" ACCEPT\n"));
      return out.toString();
    }
    for (String line : saved.split("\n")) {
      if (line.startsWith(":")) {
        String[] words = line.substring(1).split(" ");
        out.append(words[1].equals("-") ? "-N " + words[0] : "-P " + words[0] + " " + words[1]);
        out.append('\n');
      } else if (line.startsWith("-A ")) {
        out.append(line).append('\n');
      }
    }
    return out.toString();
  }

  /**
   * Runs one {@code iptables} command ({@code [-w [N]] [-t TABLE] -S} or {@code -A|-I|-D|-C|-N|-X|
   * -F|-P|-Z CHAIN ...}) as a one-line restore of its table.
   */
  public Output command(
      String program, IptablesBackend backend, IpFamily family, List<String> args) {
    List<String> words = new ArrayList<>();
    String table = "filter";
    for (int i = 0; i < args.size(); i++) {
      String arg = args.get(i);
      if (arg.equals("-w") || arg.equals("--wait")) {
        if (i + 1 < args.size() && args.get(i + 1).matches("[0-9.]+")) {
          i++;
        }
      } else if (arg.equals("-t") || arg.equals("--table")) {
        table = args.get(++i);
      } else {
        words.add(arg.matches(".*\\s.*") ? "\"" + arg + "\"" : arg);
      }
    }
    if (words.equals(List.of("-S"))) {
      return Output.ok(list(backend, family, table));
    }
    if (words.isEmpty() || !words.get(0).matches("-[AIDNXFPCZ]")) {
      throw new IllegalStateException("FakeHost does not understand: " + program + " " + args);
    }
    Map<String, Rules> live = tables(backend, family);
    try {
      Rules copy = open(live, table, true);
      operate(copy, table, String.join(" ", words));
      live.put(table, copy);
      return Output.ok("");
    } catch (Refused e) {
      return Output.fail(1, program + ": " + e.getMessage() + ".");
    }
  }
}
