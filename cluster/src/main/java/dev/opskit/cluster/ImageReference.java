package dev.opskit.cluster;

import dev.opskit.core.internal.OpskitStyle;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;
import org.immutables.value.Value;

/**
 * A container image reference in the distribution grammar, normalised the way the container runtime
 * resolves it: {@code nginx} is {@code docker.io/library/nginx:latest}, {@code index.docker.io/x/y}
 * is {@code docker.io/x/y}, and a reference with neither tag nor digest gets the implicit tag
 * {@code latest}.
 *
 * <pre>{@code
 * ImageReference ref = ImageReference.parse("localhost:5000/team/app:1.2@sha256:…");
 * ref.registry();    // "localhost:5000"
 * ref.repository();  // "team/app"
 * ref.tag();         // Optional["1.2"]
 * ref.digest();      // Optional["sha256:…"]
 * }</pre>
 *
 * <p>The grammar is {@code [registry/]path[:tag][@digest]}: the first path element is a registry
 * when it is {@code localhost}, contains a {@code .} or a {@code :}, or has an upper-case letter;
 * path components are lower-case alphanumerics joined by {@code .}, {@code _}, {@code __} or
 * dashes; tags are {@code [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}}; digests are {@code sha256}, {@code
 * sha384} or {@code sha512} with lower-case hex of the right length; the repository path (without
 * the registry, as distribution/reference counts it since v0.6.0) is at most 255 characters.
 * Anything else is rejected with an {@link IllegalArgumentException} naming the reference and the
 * rule it broke.
 *
 * <p>A reference with both tag and digest keeps both. It prints in the forms tools print: {@link
 * #familiar()} ({@code nginx:1.25}, as {@code docker} shows it), {@link #normalized()} ({@code
 * docker.io/library/nginx:1.25}, with both tag and digest when both are given) and {@link
 * #pullReference()} (what containerd and the kubelet pull: the digest alone when there is one,
 * {@code docker.io/library/nginx@sha256:…}). {@link #toString()} returns {@link #normalized()}.
 */
@Value.Immutable
@OpskitStyle
public abstract class ImageReference {
  /** The registry Docker Hub references normalise to. */
  public static final String DOCKER_HUB = "docker.io";

  private static final String LEGACY_DOCKER_HUB = "index.docker.io";
  private static final String OFFICIAL_PREFIX = "library/";
  private static final int PATH_MAX_LENGTH = 255;

  private static final String ALPHANUMERIC = "[a-z0-9]++";
  private static final String SEPARATOR = "(?:[._]|__|-++)";
  private static final String PATH_COMPONENT =
      ALPHANUMERIC + "(?:" + SEPARATOR + ALPHANUMERIC + ")*+";
  private static final String REMOTE_NAME = PATH_COMPONENT + "(?:/" + PATH_COMPONENT + ")*+";
  private static final String DOMAIN_COMPONENT =
      "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
  private static final String DOMAIN_NAME = DOMAIN_COMPONENT + "(?:\\." + DOMAIN_COMPONENT + ")*";
  private static final String IPV6 = "\\[[a-fA-F0-9:]+\\]";
  private static final String TAG = "[\\w][\\w.-]{0,127}";
  private static final String DIGEST =
      "[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}";

  private static final Pattern DOMAIN_PATTERN =
      Pattern.compile("(?:" + DOMAIN_NAME + "|" + IPV6 + ")(?::[0-9]+)?");
  private static final Pattern REMOTE_NAME_PATTERN = Pattern.compile(REMOTE_NAME);
  private static final Pattern TAG_PATTERN = Pattern.compile(TAG);
  private static final Pattern DIGEST_PATTERN = Pattern.compile(DIGEST);
  private static final Pattern REMAINDER_PATTERN =
      Pattern.compile("(" + REMOTE_NAME + ")(?::(" + TAG + "))?(?:@(" + DIGEST + "))?");
  private static final Pattern IDENTIFIER = Pattern.compile("[a-f0-9]{64}");

  ImageReference() {}

  /**
   * Parses and normalises a reference such as {@code nginx}, {@code bitnami/redis:7}, {@code
   * ghcr.io/org/app@sha256:…} or {@code localhost:5000/x}.
   *
   * @throws IllegalArgumentException when {@code reference} does not follow the grammar
   */
  public static ImageReference parse(String reference) {
    if (reference == null || reference.isEmpty()) {
      throw new IllegalArgumentException("image reference must not be empty");
    }
    if (reference.length() > 4096) {
      throw invalid(reference, "is longer than 4096 characters");
    }
    if (IDENTIFIER.matcher(reference).matches()) {
      throw invalid(reference, "is a 64-character hex identifier, not a repository name");
    }
    String registry;
    String remainder;
    int slash = reference.indexOf('/');
    String first = slash < 0 ? "" : reference.substring(0, slash);
    if (slash < 0) {
      registry = DOCKER_HUB;
      remainder = OFFICIAL_PREFIX + reference;
    } else if (first.equals("localhost")
        || first.contains(".")
        || first.contains(":")
        || !first.toLowerCase(Locale.ROOT).equals(first)) {
      registry = first.equals(LEGACY_DOCKER_HUB) ? DOCKER_HUB : first;
      remainder = reference.substring(slash + 1);
      if (!DOMAIN_PATTERN.matcher(registry).matches()) {
        throw invalid(reference, "has registry '" + registry + "' that is not a host[:port]");
      }
    } else {
      registry = DOCKER_HUB;
      remainder = reference;
    }
    if (registry.equals(DOCKER_HUB) && remainderPath(remainder).indexOf('/') < 0) {
      remainder = OFFICIAL_PREFIX + remainder;
    }
    String path = remainderPath(remainder);
    if (!path.toLowerCase(Locale.ROOT).equals(path)) {
      throw invalid(reference, "has repository '" + path + "' that is not lower case");
    }
    var matcher = REMAINDER_PATTERN.matcher(remainder);
    if (!matcher.matches()) {
      throw invalid(
          reference,
          "does not match [registry/]path[:tag][@digest] (path components are [a-z0-9] joined by"
              + " '.', '_', '__' or '-'; tags are [A-Za-z0-9_][A-Za-z0-9_.-]{0,127})");
    }
    return builder()
        .registry(registry)
        .repository(matcher.group(1))
        .tag(Optional.ofNullable(matcher.group(2)))
        .digest(Optional.ofNullable(matcher.group(3)))
        .build();
  }

  private static String remainderPath(String remainder) {
    int end = remainder.length();
    int at = remainder.indexOf('@');
    if (at >= 0) {
      end = at;
    }
    int colon = remainder.lastIndexOf(':', end - 1);
    return colon >= 0 ? remainder.substring(0, colon) : remainder.substring(0, end);
  }

  /** A builder for a reference from its parts; {@link #parse(String)} is the usual factory. */
  public static Builder builder() {
    return new Builder();
  }

  /** The registry host and optional port, such as {@code docker.io} or {@code localhost:5000}. */
  public abstract String registry();

  /** The repository path inside the registry, such as {@code library/nginx}. */
  public abstract String repository();

  /** The tag as written; empty when the reference names no tag. */
  public abstract Optional<String> tag();

  /** The digest, such as {@code sha256:…}; empty when the reference names none. */
  public abstract Optional<String> digest();

  /** Registry and repository: {@code docker.io/library/nginx}. */
  public String name() {
    return registry() + "/" + repository();
  }

  /**
   * The tag the runtime pulls: the written tag, or {@code latest} when the reference has neither
   * tag nor digest; empty for a digest-only reference.
   */
  public Optional<String> effectiveTag() {
    if (tag().isPresent() || digest().isPresent()) {
      return tag();
    }
    return Optional.of("latest");
  }

  /** Whether the reference names neither tag nor digest, so the runtime pulls {@code latest}. */
  public boolean isUntagged() {
    return tag().isEmpty() && digest().isEmpty();
  }

  /** Whether the image floats: its effective tag is {@code latest} and no digest pins it. */
  public boolean isLatest() {
    return digest().isEmpty() && effectiveTag().map("latest"::equals).orElse(false);
  }

  /**
   * The short form Docker shows: {@code nginx:latest} for {@code docker.io/library/nginx:latest},
   * {@code bitnami/redis:7} for {@code docker.io/bitnami/redis:7}; other registries unchanged.
   */
  public String familiar() {
    String name = name();
    if (registry().equals(DOCKER_HUB)) {
      name = repository();
      if (name.startsWith(OFFICIAL_PREFIX) && name.indexOf('/', OFFICIAL_PREFIX.length()) < 0) {
        name = name.substring(OFFICIAL_PREFIX.length());
      }
    }
    return withSuffix(name);
  }

  /**
   * The normalised reference: {@code registry/repository[:tag][@digest]}, with the tag {@code
   * latest} filled in when neither tag nor digest is given, and both kept when both are given.
   */
  public String normalized() {
    return withSuffix(name());
  }

  /**
   * The reference a container runtime pulls: {@code registry/repository@digest} when there is a
   * digest (the tag is then ignored, as containerd and the kubelet do), else {@code
   * registry/repository:tag} with {@code latest} filled in.
   */
  public String pullReference() {
    return digest().map(d -> name() + "@" + d).orElseGet(this::normalized);
  }

  /** The {@linkplain #normalized() normalised} reference. */
  @Override
  public String toString() {
    return normalized();
  }

  private String withSuffix(String name) {
    StringBuilder text = new StringBuilder(name);
    effectiveTag().ifPresent(t -> text.append(':').append(t));
    digest().ifPresent(d -> text.append('@').append(d));
    return text.toString();
  }

  @Value.Check
  void check() {
    String reference = registry() + "/" + repository();
    if (!DOMAIN_PATTERN.matcher(registry()).matches()) {
      throw invalid(reference, "has registry '" + registry() + "' that is not a host[:port]");
    }
    if (!REMOTE_NAME_PATTERN.matcher(repository()).matches()) {
      throw invalid(
          reference,
          "has repository '"
              + repository()
              + "' that is not [a-z0-9] components joined by '.', '_', '__', '-' and '/'");
    }
    if (repository().length() > PATH_MAX_LENGTH) {
      throw invalid(
          reference,
          "has a repository path longer than "
              + PATH_MAX_LENGTH
              + " characters (registry excluded)");
    }
    tag()
        .ifPresent(
            t -> {
              if (!TAG_PATTERN.matcher(t).matches()) {
                throw invalid(
                    reference, "has tag '" + t + "' that is not [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}");
              }
            });
    digest().ifPresent(d -> checkDigest(reference, d));
  }

  private static void checkDigest(String reference, String digest) {
    if (!DIGEST_PATTERN.matcher(digest).matches()) {
      throw invalid(reference, "has digest '" + digest + "' that is not algorithm:hex");
    }
    int colon = digest.indexOf(':');
    String algorithm = digest.substring(0, colon);
    String hex = digest.substring(colon + 1);
    int expected;
    switch (algorithm) {
      case "sha256":
        expected = 64;
        break;
      case "sha384":
        expected = 96;
        break;
      case "sha512":
        expected = 128;
        break;
      default:
        throw invalid(
            reference,
            "has digest algorithm '" + algorithm + "' (supported: sha256, sha384, sha512)");
    }
    if (hex.length() != expected
        || !hex.chars().allMatch(c -> c >= '0' && c <= '9' || c >= 'a' && c <= 'f')) {
      throw invalid(
          reference,
          "has a " + algorithm + " digest that is not " + expected + " lower-case hex characters");
    }
  }

  private static IllegalArgumentException invalid(String reference, String rule) {
    String shown = reference.length() > 120 ? reference.substring(0, 120) + "…" : reference;
    return new IllegalArgumentException("image reference '" + shown + "' " + rule);
  }

  /** Builds an {@link ImageReference} from parts; {@code build()} validates each part. */
  public static final class Builder extends ImmutableImageReference.Builder {
    Builder() {}
  }
}
