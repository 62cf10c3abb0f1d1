package dev.opskit.testing.internal;

import dev.opskit.iptables.IpFamily;
import dev.opskit.iptables.internal.Cidrs;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * The ipsets of a host: {@code ipset} commands and {@code ipset restore} input, with the errors the
 * kernel gives (a set in use by a rule cannot be destroyed, {@code -exist} tolerates what already
 * is). Not thread-safe: the host guards it.
 */
public final class Ipsets {
  private static final String VERSION = "ipset v7.19: ";

  private static final class IpSet {
    final String type;
    final String family;
    final List<String> options;
    final Set<String> entries = new LinkedHashSet<>();

    IpSet(String type, String family, List<String> options) {
      this.type = type;
      this.family = family;
      this.options = options;
    }

    boolean sameKind(IpSet other) {
      return type.equals(other.type) && family.equals(other.family);
    }
  }

  private static final class Refused extends Exception {
    private static final long serialVersionUID = 1L;

    Refused(String reason) {
      super(reason, null, false, false);
    }
  }

  private final Map<String, IpSet> sets = new LinkedHashMap<>();
  private final Predicate<String> inUse;

  /** Sets whose destroy is refused while {@code inUse} says a rule matches them. */
  public Ipsets(Predicate<String> inUse) {
    this.inUse = inUse;
  }

  /** True when the set exists. */
  public boolean exists(String name) {
    return sets.containsKey(name);
  }

  /** Every set's entries as {@code ipset save} prints them, by name. */
  public Map<String, List<String>> entries() {
    Map<String, List<String>> all = new LinkedHashMap<>();
    sets.forEach((name, set) -> all.put(name, List.copyOf(set.entries)));
    return all;
  }

  /** Creates (or replaces) a {@code hash:net} set holding {@code entries}. */
  public void seed(String name, IpFamily family, List<String> entries) {
    IpSet set = new IpSet("hash:net", family == IpFamily.IPV4 ? "inet" : "inet6", List.of());
    for (String entry : entries) {
      try {
        set.entries.add(entry(set, entry));
      } catch (Refused e) {
        throw new IllegalArgumentException("ipset " + name + ": " + e.getMessage());
      }
    }
    sets.put(name, set);
  }

  /** Runs {@code ipset ARGS} with {@code input} on standard input. */
  public Output command(List<String> args, String input) {
    List<String> words = new ArrayList<>();
    boolean exist = false;
    String file = null;
    for (int i = 0; i < args.size(); i++) {
      String arg = args.get(i);
      if (arg.equals("-exist") || arg.equals("-!")) {
        exist = true;
      } else if (arg.equals("-file") || arg.equals("-f")) {
        file = args.get(++i);
      } else {
        words.add(arg);
      }
    }
    if (words.isEmpty()) {
      throw new IllegalStateException("FakeHost does not understand: ipset " + args);
    }
    switch (words.get(0)) {
      case "restore":
        if (file != null) {
          throw new IllegalStateException("FakeHost does not understand: ipset " + args);
        }
        return restore(input, exist);
      case "save":
        return save(words.size() > 1 ? words.get(1) : null);
      case "list":
        if (words.size() == 2 && (words.get(1).equals("-n") || words.get(1).equals("-name"))) {
          StringBuilder out = new StringBuilder();
          sets.keySet().forEach(name -> out.append(name).append('\n'));
          return Output.ok(out.toString());
        }
        throw new IllegalStateException("FakeHost does not understand: ipset " + args);
      default:
        try {
          apply(words, exist);
          return Output.ok("");
        } catch (Refused e) {
          return Output.fail(1, VERSION + e.getMessage());
        }
    }
  }

  private Output save(String name) {
    if (name != null && !sets.containsKey(name)) {
      return Output.fail(1, VERSION + "The set with the given name does not exist");
    }
    StringBuilder out = new StringBuilder();
    sets.forEach(
        (setName, set) -> {
          if (name != null && !name.equals(setName)) {
            return;
          }
          out.append("create ").append(setName).append(' ').append(set.type);
          out.append(" family ").append(set.family);
          set.options.forEach(o -> out.append(' ').append(o));
          out.append('\n');
          set.entries.forEach(
              e -> out.append("add ").append(setName).append(' ').append(e).append('\n'));
        });
    return Output.ok(out.toString());
  }

  /** Runs restore input line by line; the first refused line stops it, earlier ones stay. */
  private Output restore(String input, boolean exist) {
    String[] lines = input.split("\n", -1);
    for (int i = 0; i < lines.length; i++) {
      String line = lines[i].strip();
      if (line.isEmpty() || line.startsWith("#") || line.equals("COMMIT")) {
        continue;
      }
      try {
        apply(List.of(line.split("\\s+")), exist);
      } catch (Refused e) {
        return Output.fail(1, VERSION + "Error in line " + (i + 1) + ": " + e.getMessage());
      }
    }
    return Output.ok("");
  }

  private void apply(List<String> words, boolean exist) throws Refused {
    String command = words.get(0);
    String name = words.size() > 1 ? words.get(1) : null;
    switch (command) {
      case "create", "-N", "n" -> create(words, exist);
      case "add", "-A", "a" -> {
        IpSet set = existing(name);
        String entry = entry(set, arg(words, 2));
        if (!set.entries.add(entry) && !exist) {
          throw new Refused("Element cannot be added to the set: it's already added");
        }
      }
      case "del", "-D", "d" -> {
        IpSet set = existing(name);
        if (!set.entries.remove(entry(set, arg(words, 2))) && !exist) {
          throw new Refused("Element cannot be deleted from the set: it's not added");
        }
      }
      case "flush", "-F", "f" -> {
        if (name == null) {
          sets.values().forEach(s -> s.entries.clear());
        } else {
          existing(name).entries.clear();
        }
      }
      case "swap", "-W", "w" -> {
        IpSet from = existing(name);
        String otherName = arg(words, 2);
        IpSet to = existing(otherName);
        if (!from.sameKind(to)) {
          throw new Refused("The sets cannot be swapped: their type does not match");
        }
        sets.put(name, to);
        sets.put(otherName, from);
      }
      case "destroy", "-X", "x" -> {
        List<String> names = name == null ? List.copyOf(sets.keySet()) : List.of(name);
        for (String victim : names) {
          existing(victim);
          if (inUse.test(victim)) {
            throw new Refused("Set cannot be destroyed: it is in use by a kernel component");
          }
          sets.remove(victim);
        }
      }
      default ->
          throw new IllegalStateException(
              "FakeHost does not understand the ipset command " + words);
    }
  }

  private void create(List<String> words, boolean exist) throws Refused {
    String name = arg(words, 1);
    String type = arg(words, 2);
    String family = "inet";
    List<String> options = new ArrayList<>();
    for (int i = 3; i < words.size(); i++) {
      if (words.get(i).equals("family") && i + 1 < words.size()) {
        family = words.get(++i);
      } else {
        options.add(words.get(i));
      }
    }
    IpSet set = new IpSet(type, family, List.copyOf(options));
    IpSet old = sets.get(name);
    if (old != null) {
      if (exist && old.sameKind(set)) {
        return;
      }
      throw new Refused("Set cannot be created: set with the same name already exists");
    }
    sets.put(name, set);
  }

  private IpSet existing(String name) throws Refused {
    IpSet set = name == null ? null : sets.get(name);
    if (set == null) {
      throw new Refused("The set with the given name does not exist");
    }
    return set;
  }

  private static String arg(List<String> words, int index) throws Refused {
    if (index >= words.size()) {
      throw new Refused("Syntax error: missing argument in " + String.join(" ", words));
    }
    return words.get(index);
  }

  /** An entry as {@code ipset save} prints it: a host address without its /32 or /128. */
  private static String entry(IpSet set, String text) throws Refused {
    if (!set.type.equals("hash:net") && !set.type.equals("hash:ip")) {
      return text;
    }
    String cidr;
    try {
      cidr = Cidrs.normalize(text);
    } catch (IllegalArgumentException e) {
      throw new Refused("Syntax error: cannot parse " + text + ": resolving to an address failed");
    }
    boolean v6 = Cidrs.family(cidr) == IpFamily.IPV6;
    if (v6 != set.family.equals("inet6")) {
      throw new Refused("Syntax error: " + text + " does not belong in a " + set.family + " set");
    }
    return cidr.endsWith(v6 ? "/128" : "/32") ? cidr.substring(0, cidr.lastIndexOf('/')) : cidr;
  }
}
