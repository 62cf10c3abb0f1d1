package dev.opskit.cluster;

import dev.opskit.core.OpskitException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.Charset;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;

/**
 * Checks a kubeconfig file the way an auditor would: a file that group or other users can read (or
 * write) is a finding whose fix is mode {@code 0600}; user entries that embed credentials ({@code
 * token}, {@code client-key-data}, {@code password}, auth-provider tokens and {@code
 * client-secret}, {@code exec.env} values) are noted, since anyone who can read the file holds
 * them; a {@code client-key} or {@code tokenFile} that other users can read is a finding like the
 * kubeconfig itself.
 *
 * <pre>{@code
 * List<KubeconfigFinding> findings = KubeconfigCheck.check(Path.of(System.getProperty("user.home"), ".kube", "config"));
 * findings.forEach(System.out::println);
 * for (KubeconfigFinding f : findings) {
 *   if (f.isPermissionProblem()) {
 *     KubeconfigCheck.restrictPermissions(Path.of(f.subject()));   // chmod 0600
 *   }
 * }
 * }</pre>
 *
 * <p>Reads what kubectl reads: YAML or JSON, several YAML documents in one file (as k3d writes;
 * every document's users are checked), UTF-8 with or without a byte order mark, UTF-16 and UTF-32
 * (big or little endian, recognised by the byte order mark or, as YAML specifies, by the zero bytes
 * around the first character), and an empty file (no users). Credential values never appear in
 * findings. On a file system without POSIX permissions the permission check is skipped.
 */
public final class KubeconfigCheck {
  private static final Set<PosixFilePermission> READ_BY_OTHERS =
      EnumSet.of(PosixFilePermission.GROUP_READ, PosixFilePermission.OTHERS_READ);
  private static final Set<PosixFilePermission> WRITE_BY_OTHERS =
      EnumSet.of(PosixFilePermission.GROUP_WRITE, PosixFilePermission.OTHERS_WRITE);
  private static final Charset UTF_32BE = Charset.forName("UTF-32BE");
  private static final Charset UTF_32LE = Charset.forName("UTF-32LE");

  private KubeconfigCheck() {}

  /**
   * Checks the file's permissions, its user entries and the key and token files they name. When the
   * content cannot be read or parsed, the permission findings are still returned, with a {@link
   * KubeconfigFinding.Kind#CONTENT_NOT_READ} finding saying why.
   *
   * @throws IOException when the file's attributes cannot be read (for example it does not exist)
   */
  public static List<KubeconfigFinding> check(Path file) throws IOException {
    List<KubeconfigFinding> findings = new ArrayList<>(checkPermissions(file));
    String text;
    try {
      text = decode(Files.readAllBytes(file));
    } catch (IOException e) {
      findings.add(notRead(file, "cannot read the content: " + describe(e)));
      return findings;
    }
    List<Map<?, ?>> users;
    try {
      users = users(text);
    } catch (OpskitException e) {
      findings.add(notRead(file, e.getMessage()));
      return findings;
    }
    Path folder = file.toAbsolutePath().getParent();
    for (Map<?, ?> named : users) {
      findings.addAll(credentials(named));
      findings.addAll(referencedFiles(named, folder));
    }
    return findings;
  }

  /** Only the permission findings for {@code file}. */
  public static List<KubeconfigFinding> checkPermissions(Path file) throws IOException {
    return permissions(file, "the credentials", "");
  }

  /**
   * Notes the embedded credentials of a kubeconfig given as text (YAML or JSON, one or more
   * documents; empty text has no users). Files the entries name are not checked; {@link
   * #check(Path)} does that.
   *
   * @throws OpskitException when the text is not a kubeconfig
   */
  public static List<KubeconfigFinding> checkCredentials(String kubeconfig) {
    List<KubeconfigFinding> findings = new ArrayList<>();
    for (Map<?, ?> named : users(kubeconfig)) {
      findings.addAll(credentials(named));
    }
    return findings;
  }

  /**
   * Applies the fix for permission findings: mode {@code 0600} (owner read and write only).
   *
   * @throws IOException when the mode cannot be changed
   */
  public static void restrictPermissions(Path file) throws IOException {
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
  }

  private static List<KubeconfigFinding> permissions(Path file, String what, String whose)
      throws IOException {
    List<KubeconfigFinding> findings = new ArrayList<>();
    if (Files.getFileAttributeView(file, PosixFileAttributeView.class) == null) {
      return findings;
    }
    Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(file);
    String mode = PosixFilePermissions.toString(permissions);
    String fix = "chmod 0600 " + file;
    Set<PosixFilePermission> readBitsRemoved = EnumSet.noneOf(PosixFilePermission.class);
    readBitsRemoved.addAll(permissions);
    readBitsRemoved.removeAll(READ_BY_OTHERS);
    String why =
        readBitsRemoved.stream().anyMatch(WRITE_BY_OTHERS::contains)
            ? "; the fix is mode 0600 (owner read and write only): chmod g-r,o-r alone would leave "
                + PosixFilePermissions.toString(readBitsRemoved)
                + ", still writable by group or other users"
            : "; the fix is mode 0600 (owner read and write only)";
    if (permissions.stream().anyMatch(READ_BY_OTHERS::contains)) {
      findings.add(
          KubeconfigFinding.builder()
              .kind(KubeconfigFinding.Kind.GROUP_OR_WORLD_READABLE)
              .subject(file.toString())
              .detail(whose + "mode " + mode + " lets group or other users read " + what + why)
              .fix(fix)
              .build());
    }
    if (permissions.stream().anyMatch(WRITE_BY_OTHERS::contains)) {
      findings.add(
          KubeconfigFinding.builder()
              .kind(KubeconfigFinding.Kind.GROUP_OR_WORLD_WRITABLE)
              .subject(file.toString())
              .detail(whose + "mode " + mode + " lets group or other users change the file" + why)
              .fix(fix)
              .build());
    }
    return findings;
  }

  /** The bytes as text: UTF-8, UTF-16 or UTF-32 by byte order mark or YAML's zero-byte pattern. */
  static String decode(byte[] bytes) throws IOException {
    Charset charset = StandardCharsets.UTF_8;
    int skip = 0;
    if (starts(bytes, 0x00, 0x00, 0xFE, 0xFF)) {
      charset = UTF_32BE;
      skip = 4;
    } else if (starts(bytes, 0xFF, 0xFE, 0x00, 0x00)) {
      charset = UTF_32LE;
      skip = 4;
    } else if (starts(bytes, 0xFE, 0xFF)) {
      charset = StandardCharsets.UTF_16BE;
      skip = 2;
    } else if (starts(bytes, 0xFF, 0xFE)) {
      charset = StandardCharsets.UTF_16LE;
      skip = 2;
    } else if (starts(bytes, 0xEF, 0xBB, 0xBF)) {
      skip = 3;
    } else if (bytes.length >= 4 && bytes[0] == 0 && bytes[1] == 0 && bytes[2] == 0) {
      charset = UTF_32BE;
    } else if (bytes.length >= 4 && bytes[1] == 0 && bytes[2] == 0 && bytes[3] == 0) {
      charset = UTF_32LE;
    } else if (bytes.length >= 2 && bytes[0] == 0) {
      charset = StandardCharsets.UTF_16BE;
    } else if (bytes.length >= 2 && bytes[1] == 0) {
      charset = StandardCharsets.UTF_16LE;
    }
    try {
      return charset
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes, skip, bytes.length - skip))
          .toString();
    } catch (CharacterCodingException e) {
      throw new IOException("not valid " + charset.name() + " text", e);
    }
  }

  private static boolean starts(byte[] bytes, int... prefix) {
    if (bytes.length < prefix.length) {
      return false;
    }
    for (int i = 0; i < prefix.length; i++) {
      if ((bytes[i] & 0xFF) != prefix[i]) {
        return false;
      }
    }
    return true;
  }

  /** Every {@code users[]} entry of every document. */
  private static List<Map<?, ?>> users(String text) {
    List<Map<?, ?>> users = new ArrayList<>();
    Yaml yaml = new Yaml(new SafeConstructor(new LoaderOptions()));
    try {
      int index = 0;
      for (Object document : yaml.loadAll(text)) {
        index++;
        if (document == null) {
          continue;
        }
        if (!(document instanceof Map)) {
          throw new OpskitException(
              "not a readable kubeconfig: document " + index + " is not a mapping");
        }
        Object list = ((Map<?, ?>) document).get("users");
        if (list == null) {
          continue;
        }
        if (!(list instanceof List)) {
          throw new OpskitException(
              "not a readable kubeconfig: 'users' in document " + index + " is not a list");
        }
        for (Object entry : (List<?>) list) {
          if (entry instanceof Map) {
            users.add((Map<?, ?>) entry);
          }
        }
      }
    } catch (RuntimeException e) {
      if (e instanceof OpskitException) {
        throw e;
      }
      throw new OpskitException("not a readable kubeconfig: " + yamlProblem(e), e);
    }
    return users;
  }

  private static List<KubeconfigFinding> credentials(Map<?, ?> named) {
    List<KubeconfigFinding> findings = new ArrayList<>();
    String subject = "users[" + named.get("name") + "]";
    if (!(named.get("user") instanceof Map)) {
      return findings;
    }
    Map<?, ?> user = (Map<?, ?>) named.get("user");
    note(
        findings,
        user,
        "token",
        KubeconfigFinding.Kind.EMBEDDED_TOKEN,
        subject,
        "embeds a bearer token; prefer an exec credential plugin or short-lived tokens");
    note(
        findings,
        user,
        "client-key-data",
        KubeconfigFinding.Kind.EMBEDDED_CLIENT_KEY,
        subject,
        "embeds a client private key; prefer client-key pointing at a 0600 file or exec");
    note(
        findings,
        user,
        "password",
        KubeconfigFinding.Kind.EMBEDDED_PASSWORD,
        subject,
        "embeds a basic-auth password");
    if (user.get("auth-provider") instanceof Map
        && ((Map<?, ?>) user.get("auth-provider")).get("config") instanceof Map) {
      Map<?, ?> config = (Map<?, ?>) ((Map<?, ?>) user.get("auth-provider")).get("config");
      for (String key : List.of("id-token", "refresh-token", "access-token", "client-secret")) {
        if (present(config.get(key))) {
          findings.add(
              KubeconfigFinding.builder()
                  .kind(KubeconfigFinding.Kind.EMBEDDED_AUTH_PROVIDER_TOKEN)
                  .subject(subject)
                  .detail("auth-provider config embeds " + key)
                  .build());
        }
      }
    }
    if (user.get("exec") instanceof Map
        && ((Map<?, ?>) user.get("exec")).get("env") instanceof List) {
      List<String> names = new ArrayList<>();
      for (Object variable : (List<?>) ((Map<?, ?>) user.get("exec")).get("env")) {
        if (variable instanceof Map && present(((Map<?, ?>) variable).get("value"))) {
          names.add(String.valueOf(((Map<?, ?>) variable).get("name")));
        }
      }
      if (!names.isEmpty()) {
        findings.add(
            KubeconfigFinding.builder()
                .kind(KubeconfigFinding.Kind.EXEC_ENV_VALUES)
                .subject(subject)
                .detail(
                    "exec credential plugin env sets "
                        + String.join(", ", names)
                        + " in the file (values not shown); whoever reads the file reads them,"
                        + " so keep secrets out of exec.env")
                .build());
      }
    }
    return findings;
  }

  /** Permission findings for the {@code client-key} and {@code tokenFile} files a user names. */
  private static List<KubeconfigFinding> referencedFiles(Map<?, ?> named, Path folder)
      throws IOException {
    List<KubeconfigFinding> findings = new ArrayList<>();
    if (!(named.get("user") instanceof Map)) {
      return findings;
    }
    Map<?, ?> user = (Map<?, ?>) named.get("user");
    String whose = "users[" + named.get("name") + "] ";
    for (String field : List.of("client-key", "tokenFile")) {
      Object value = user.get(field);
      if (!present(value)) {
        continue;
      }
      // kubectl resolves relative paths against the kubeconfig's folder
      Path path = folder.resolve(value.toString());
      if (!Files.isRegularFile(path)) {
        continue;
      }
      findings.addAll(
          permissions(
              path,
              field.equals("client-key") ? "the private key" : "the token",
              whose + field + " " + path + ": "));
    }
    return findings;
  }

  private static KubeconfigFinding notRead(Path file, String why) {
    return KubeconfigFinding.builder()
        .kind(KubeconfigFinding.Kind.CONTENT_NOT_READ)
        .subject(file.toString())
        .detail(why + "; the credentials in it were not checked")
        .build();
  }

  private static String describe(IOException e) {
    String message = e.getMessage();
    return message == null || message.isEmpty() ? e.getClass().getSimpleName() : message;
  }

  /** The parser's problem and position, without the quoted snippet (it may hold a secret). */
  private static String yamlProblem(RuntimeException e) {
    if (e instanceof MarkedYAMLException) {
      MarkedYAMLException marked = (MarkedYAMLException) e;
      Mark mark = marked.getProblemMark();
      return marked.getProblem()
          + (mark == null
              ? ""
              : " at line " + (mark.getLine() + 1) + ", column " + (mark.getColumn() + 1));
    }
    String message = String.valueOf(e.getMessage());
    int newline = message.indexOf('\n');
    return newline < 0 ? message : message.substring(0, newline);
  }

  private static void note(
      List<KubeconfigFinding> findings,
      Map<?, ?> user,
      String field,
      KubeconfigFinding.Kind kind,
      String subject,
      String detail) {
    if (present(user.get(field))) {
      findings.add(KubeconfigFinding.builder().kind(kind).subject(subject).detail(detail).build());
    }
  }

  private static boolean present(Object value) {
    return value != null && !value.toString().isEmpty();
  }
}
