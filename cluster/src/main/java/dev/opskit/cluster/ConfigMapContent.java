package dev.opskit.cluster;

import dev.opskit.core.internal.OpskitStyle;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.immutables.value.Value;

/**
 * The {@code data} and {@code binaryData} of a ConfigMap, typically read from a file or a folder
 * the way {@code kubectl create configmap --from-file} does: each file name is a key, UTF-8 content
 * goes to {@code data}, anything else to {@code binaryData}.
 *
 * <pre>{@code
 * ConfigMapContent content = ConfigMapContent.fromFolder(Path.of("conf.d"));
 * ConfigMapContent one = ConfigMapContent.fromFile(Path.of("nginx.conf"));
 * }</pre>
 *
 * <p>Validated like the API server: keys match {@code [-._a-zA-Z0-9]+}, are at most 253 characters,
 * are not {@code .} or {@code ..} and do not start with {@code ..}; a key is in {@code data} or
 * {@code binaryData}, not both; the values together are at most 1 MiB (1,048,576 bytes).
 */
@Value.Immutable
@OpskitStyle
public abstract class ConfigMapContent {
  /** The most bytes the API server accepts in data and binaryData values together: 1 MiB. */
  public static final int MAX_TOTAL_BYTES = 1024 * 1024;

  private static final Pattern KEY = Pattern.compile("[-._a-zA-Z0-9]+");

  ConfigMapContent() {}

  /** A builder for content given in code. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Content with one key, the file's name, holding the file's bytes.
   *
   * @throws IllegalArgumentException when the name is not a valid key or the file is too large
   * @throws IOException when the file cannot be read
   */
  public static ConfigMapContent fromFile(Path file) throws IOException {
    return fromFile(file, String.valueOf(file.getFileName()));
  }

  /**
   * Content with one key, {@code key}, holding the file's bytes; a symbolic link given here is
   * followed, since the caller named it.
   */
  public static ConfigMapContent fromFile(Path file, String key) throws IOException {
    Builder builder = builder();
    add(builder, key, file.toRealPath());
    return builder.build();
  }

  /**
   * Content with one key per regular file directly inside {@code folder}. Subfolders and other
   * non-regular entries are skipped. A symbolic link is followed only when its final target is a
   * regular file inside the folder (the keys of a mounted ConfigMap, {@code key -> ..data/key}, are
   * read that way, while the {@code ..data} link and the timestamped folder it points to are
   * skipped as folders); a link whose target lies outside the folder is refused, so a folder cannot
   * carry any other file the process can read into the cluster. A dangling link is skipped.
   * (kubectl 1.33 skips symbolic links altogether, so it copies nothing from a mounted ConfigMap.)
   *
   * @throws IllegalArgumentException when a file name is not a valid key, the total is too large,
   *     or a symbolic link points outside the folder
   * @throws IOException when the folder or a file cannot be read
   */
  public static ConfigMapContent fromFolder(Path folder) throws IOException {
    if (!Files.isDirectory(folder)) {
      throw new IllegalArgumentException(folder + " is not a folder");
    }
    Path realFolder = folder.toRealPath();
    List<Path> entries = new ArrayList<>();
    try (Stream<Path> listing = Files.list(folder)) {
      listing.sorted().forEach(entries::add);
    }
    Map<String, Path> files = new TreeMap<>();
    for (Path entry : entries) {
      Path real;
      try {
        real = entry.toRealPath();
      } catch (NoSuchFileException dangling) {
        continue;
      }
      if (!Files.isRegularFile(real, LinkOption.NOFOLLOW_LINKS)) {
        continue;
      }
      if (Files.isSymbolicLink(entry) && !real.getParent().startsWith(realFolder)) {
        throw new IllegalArgumentException(
            "symbolic link "
                + entry
                + " points outside the folder (to "
                + real
                + "); refusing to put files from elsewhere into a ConfigMap (copy the file in if"
                + " it belongs there)");
      }
      files.put(String.valueOf(entry.getFileName()), real);
    }
    Builder builder = builder();
    long total = 0;
    for (Map.Entry<String, Path> file : files.entrySet()) {
      total += Files.size(file.getValue());
      if (total > MAX_TOTAL_BYTES) {
        throw new IllegalArgumentException(
            "files in " + folder + " exceed the ConfigMap limit of " + MAX_TOTAL_BYTES + " bytes");
      }
      add(builder, file.getKey(), file.getValue());
    }
    return builder.build();
  }

  private static void add(Builder builder, String key, Path file) throws IOException {
    checkKey(key);
    if (Files.size(file) > MAX_TOTAL_BYTES) {
      throw new IllegalArgumentException(
          "file " + file + " is larger than the ConfigMap limit of " + MAX_TOTAL_BYTES + " bytes");
    }
    byte[] bytes;
    try (SeekableByteChannel channel =
            Files.newByteChannel(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
        InputStream in = Channels.newInputStream(channel)) {
      bytes = in.readNBytes(MAX_TOTAL_BYTES + 1);
    }
    if (bytes.length > MAX_TOTAL_BYTES) {
      throw new IllegalArgumentException(
          "file " + file + " is larger than the ConfigMap limit of " + MAX_TOTAL_BYTES + " bytes");
    }
    try {
      String text =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(ByteBuffer.wrap(bytes))
              .toString();
      builder.putData(key, text);
    } catch (CharacterCodingException e) {
      builder.putBinaryData(key, bytes);
    }
  }

  /** Text values by key. */
  @Value.NaturalOrder
  public abstract SortedMap<String, String> data();

  /** Binary values (not valid UTF-8) by key; sent base64-encoded. */
  @Value.NaturalOrder
  public abstract SortedMap<String, byte[]> binaryData();

  /** The bytes of all values together, as the API server counts them against the 1 MiB limit. */
  public long totalBytes() {
    long total = 0;
    for (String value : data().values()) {
      total += value.getBytes(StandardCharsets.UTF_8).length;
    }
    for (byte[] value : binaryData().values()) {
      total += value.length;
    }
    return total;
  }

  /**
   * Checks a key against the ConfigMap key rules.
   *
   * @throws IllegalArgumentException naming the key and the rule it broke
   */
  public static void checkKey(String key) {
    if (key.isEmpty() || key.length() > 253) {
      throw new IllegalArgumentException(
          "ConfigMap key '" + key + "' must be 1 to 253 characters long");
    }
    if (!KEY.matcher(key).matches()) {
      throw new IllegalArgumentException(
          "ConfigMap key '" + key + "' must consist of alphanumerics, '-', '_' or '.'");
    }
    if (key.equals(".") || key.equals("..") || key.startsWith("..")) {
      throw new IllegalArgumentException(
          "ConfigMap key '" + key + "' must not be '.' or '..' or start with '..'");
    }
  }

  @Value.Check
  void check() {
    for (String key : data().keySet()) {
      checkKey(key);
    }
    for (Map.Entry<String, byte[]> entry : binaryData().entrySet()) {
      checkKey(entry.getKey());
      if (data().containsKey(entry.getKey())) {
        throw new IllegalArgumentException(
            "ConfigMap key '" + entry.getKey() + "' is in both data and binaryData");
      }
    }
    if (totalBytes() > MAX_TOTAL_BYTES) {
      throw new IllegalArgumentException(
          "ConfigMap values total "
              + totalBytes()
              + " bytes, over the limit of "
              + MAX_TOTAL_BYTES
              + " bytes (1 MiB)");
    }
  }

  /** Builds a {@link ConfigMapContent}; {@code build()} validates keys and size. */
  public static final class Builder extends ImmutableConfigMapContent.Builder {
    Builder() {}
  }
}
