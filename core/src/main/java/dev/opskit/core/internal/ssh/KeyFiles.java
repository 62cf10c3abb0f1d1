package dev.opskit.core.internal.ssh;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.util.ArrayList;
import java.util.List;
import org.apache.sshd.common.NamedResource;
import org.apache.sshd.common.config.keys.FilePasswordProvider;
import org.apache.sshd.common.util.security.SecurityUtils;

/** Reads private keys from OpenSSH (and PEM) key files. */
public final class KeyFiles {
  private KeyFiles() {}

  /**
   * The key pairs in {@code file}, decrypted with {@code passphrase} when not null.
   *
   * @throws IOException naming the file when it cannot be read or parsed
   */
  public static List<KeyPair> load(Path file, String passphrase) throws IOException {
    FilePasswordProvider passwords =
        passphrase == null ? FilePasswordProvider.EMPTY : FilePasswordProvider.of(passphrase);
    try (InputStream in = Files.newInputStream(file)) {
      Iterable<KeyPair> pairs =
          SecurityUtils.loadKeyPairIdentities(
              null, NamedResource.ofName(file.toString()), in, passwords);
      List<KeyPair> result = new ArrayList<>();
      if (pairs != null) {
        pairs.forEach(result::add);
      }
      if (result.isEmpty()) {
        throw new IOException("no private key found in " + file);
      }
      return result;
    } catch (GeneralSecurityException e) {
      throw new IOException(
          "cannot read the private key in "
              + file
              + " (wrong passphrase, or an unsupported key type): "
              + e.getMessage(),
          e);
    }
  }
}
