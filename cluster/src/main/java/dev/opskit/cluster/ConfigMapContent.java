package dev.opskit.cluster;

import dev.opskit.core.internal.OpskitStyle;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
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

  /** Content with one key, {@code key}, holding the file's bytes. */
  public static ConfigMapContent fromFile(Path file, String key) throws IOException {
    Builder builder = builder();
    add(builder, key, file);
    return builder.build();
  }

  /**
   * Content with one key per regular file directly inside {@code folder} (subfolders and other
   * non-regular entries are skipped; symbolic links to regular files are followed).
   *
   * @throws IllegalArgumentException when a file name is not a valid key or the total is too large
   * @throws IOException when the folder or a file cannot be read
   */
  public static ConfigMapContent fromFolder(Path folder) throws IOException {
    if (!Files.isDirectory(folder)) {
      throw new IllegalArgumentException(folder + " is not a folder");
    }
    List<Path> files = new ArrayList<>();
    try (Stream<Path> entries = Files.list(folder)) {
      entries.filter(Files::isRegularFile).sorted().forEach(files::add);
    }
    Builder builder = builder();
    long total = 0;
    for (Path file : files) {
      total += Files.size(file);
      if (total > MAX_TOTAL_BYTES) {
        throw new IllegalArgumentException(
            "files in " + folder + " exceed the ConfigMap limit of " + MAX_TOTAL_BYTES + " bytes");
      }
      add(builder, String.valueOf(file.getFileName()), file);
    }
    return builder.build();
  }

  private static void add(Builder builder, String key, Path file) throws IOException {
    checkKey(key);
    if (Files.size(file) > MAX_TOTAL_BYTES) {
      throw new IllegalArgumentException(
          "file " + file + " is larger than the ConfigMap limit of " + MAX_TOTAL_BYTES + " bytes");
    }
    byte[] bytes = Files.readAllBytes(file);
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
