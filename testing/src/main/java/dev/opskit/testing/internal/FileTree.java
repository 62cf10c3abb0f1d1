package dev.opskit.testing.internal;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * Files and folders by absolute path, in memory. Not thread-safe: the host guards it. {@code
 * /proc/sys} is not here; the kernel answers for it.
 */
public final class FileTree {
  private final Map<String, String> files = new TreeMap<>();
  private final Set<String> directories = new HashSet<>(Set.of("/"));
  private final Set<String> readOnly = new HashSet<>();

  /** {@code path} without a trailing slash (but {@code /} stays). */
  public static String clean(String path) {
    if (!path.startsWith("/")) {
      throw new IllegalArgumentException("path '" + path + "' must be absolute");
    }
    String cleaned = path.replaceAll("/+", "/");
    return cleaned.length() > 1 && cleaned.endsWith("/")
        ? cleaned.substring(0, cleaned.length() - 1)
        : cleaned;
  }

  /** The folder holding {@code path}. */
  public static String parent(String path) {
    String clean = clean(path);
    int slash = clean.lastIndexOf('/');
    return slash <= 0 ? "/" : clean.substring(0, slash);
  }

  /** The content of the regular file at {@code path}. */
  public Optional<String> read(String path) {
    return Optional.ofNullable(files.get(clean(path)));
  }

  /** True for a regular file. */
  public boolean isFile(String path) {
    return files.containsKey(clean(path));
  }

  /** True for a folder. */
  public boolean isDirectory(String path) {
    return directories.contains(clean(path));
  }

  /** True when anything is at {@code path}. */
  public boolean exists(String path) {
    return isFile(path) || isDirectory(path);
  }

  /** Creates the folder and its parents. */
  public void mkdirs(String path) {
    String clean = clean(path);
    while (!clean.equals("/")) {
      if (files.containsKey(clean)) {
        throw new IllegalStateException(clean + " is a file");
      }
      directories.add(clean);
      clean = parent(clean);
    }
  }

  /** Writes a regular file, creating its folders. */
  public void write(String path, String content) {
    String clean = clean(path);
    if (directories.contains(clean)) {
      throw new IllegalStateException(clean + " is a directory");
    }
    mkdirs(parent(clean));
    files.put(clean, content);
  }

  /** Removes a file; true when there was one. */
  public boolean delete(String path) {
    return files.remove(clean(path)) != null;
  }

  /** Marks a folder as one nobody can create files in. */
  public void readOnly(String path) {
    mkdirs(path);
    readOnly.add(clean(path));
  }

  /** True when files cannot be created in {@code directory}. */
  public boolean isReadOnly(String directory) {
    return readOnly.contains(clean(directory));
  }

  /** The names directly inside {@code directory}, sorted. */
  public List<String> list(String directory) {
    String prefix = clean(directory).equals("/") ? "/" : clean(directory) + "/";
    Set<String> names = new java.util.TreeSet<>();
    List<String> all = new ArrayList<>(files.keySet());
    all.addAll(directories);
    for (String path : all) {
      if (path.startsWith(prefix) && path.length() > prefix.length()) {
        String rest = path.substring(prefix.length());
        int slash = rest.indexOf('/');
        names.add(slash < 0 ? rest : rest.substring(0, slash));
      }
    }
    return new ArrayList<>(names);
  }

  /** Every regular file, path to content, sorted by path. */
  public Map<String, String> files() {
    return new TreeMap<>(files);
  }
}
