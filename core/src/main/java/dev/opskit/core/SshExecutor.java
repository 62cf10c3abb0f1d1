package dev.opskit.core;

import dev.opskit.core.internal.BoundedBuffer;
import dev.opskit.core.internal.StdinEnvironment;
import dev.opskit.core.internal.ssh.HostKeyRefusal;
import dev.opskit.core.internal.ssh.KeyFiles;
import dev.opskit.core.internal.ssh.KnownHostsVerifier;
import dev.opskit.core.internal.ssh.PidReportFilter;
import dev.opskit.core.internal.ssh.RemoteCommandLine;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.apache.sshd.client.SshClient;
import org.apache.sshd.client.channel.ChannelExec;
import org.apache.sshd.client.channel.ClientChannelEvent;
import org.apache.sshd.client.config.hosts.HostConfigEntryResolver;
import org.apache.sshd.client.future.ConnectFuture;
import org.apache.sshd.client.keyverifier.AcceptAllServerKeyVerifier;
import org.apache.sshd.client.keyverifier.ServerKeyVerifier;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.NamedFactory;
import org.apache.sshd.common.channel.exception.SshChannelOpenException;
import org.apache.sshd.common.keyprovider.KeyIdentityProvider;
import org.apache.sshd.common.signature.BuiltinSignatures;
import org.apache.sshd.common.signature.Signature;
import org.apache.sshd.core.CoreModuleProperties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs commands on a remote host over SSH (Apache MINA SSHD client), through <b>one</b> connection
 * that is opened on first use, shared by every command and reopened transparently when it drops.
 *
 * <pre>{@code
 * try (SshExecutor node =
 *     SshExecutor.builder(SshTarget.parse("ops@10.0.0.5"))
 *         .identityFile(Path.of(System.getProperty("user.home"), ".ssh", "id_ed25519"))
 *         .build()) {
 *   ExecResult kernel = node.execute(Command.of("uname", "-r")).requireSuccess();
 *   node.withSudo().execute(Command.of("iptables-save")).requireSuccess();
 * }
 * }</pre>
 *
 * <p><b>Host keys.</b> The server's key must be listed in a known_hosts file ({@code
 * ~/.ssh/known_hosts} unless {@link Builder#knownHosts(Path)} says otherwise); an unknown, changed
 * or revoked key fails the command with {@link SshHostKeyException} naming the host and the key's
 * SHA256 fingerprint, and the file is never modified. {@link Builder#insecureAcceptAnyHostKey()}
 * turns checking off for throw-away test hosts only.
 *
 * <p><b>How commands run.</b> SSH carries one command string per channel, so the argv is
 * POSIX-shell-quoted (it arrives byte for byte, whatever it contains) and run with {@code exec} by
 * the remote user's login shell, which must be a POSIX shell ({@code sh}, {@code bash}, {@code
 * dash}, {@code zsh}, {@code ksh}). The working directory is entered with {@code cd} first.
 * Environment values travel on the channel's stdin, never in the exec string (which the remote
 * shell gets as its argv, shown by {@code ps}, and which a server may log): a small constant {@code
 * sh} wrapper reads one line per variable, exports it and {@code exec}s the program with the rest
 * of stdin. So the server needs no {@code AcceptEnv} (OpenSSH accepts only {@code LANG} and {@code
 * LC_*} by default) and only the names are ever visible. Standard output and error stay apart;
 * stdin bytes are sent, then end-of-file. The remote exit status or the signal that ended the
 * command is reported; a program that is not found exits with status 127, as in a shell. When a
 * command's timeout (or, if it has none, {@link Builder#commandTimeout(Duration)}) passes, or the
 * calling thread is interrupted, its whole remote process group is killed with {@code SIGKILL} over
 * a second channel (children that start their own session escape this, as they would escape a
 * terminal hangup).
 *
 * <p><b>Errors.</b> A failed connection, authentication, host-key check or a connection that drops
 * while a command runs throws {@link IOException} (never a hang); a non-zero exit is data. The next
 * command after a failure connects again.
 *
 * <p><b>Thread-safety and ownership.</b> Safe for concurrent use: commands from many threads share
 * the connection, each on its own channel, with at most {@link Builder#maxConcurrentCommands(int)}
 * (default 8, below OpenSSH's {@code MaxSessions} of 10) running at once; further callers wait.
 * Whoever builds the executor owns it and must {@link #close()} it, which closes the connection and
 * stops every thread it started. Decorators such as {@link #withSudo()} do not close it.
 */
public final class SshExecutor implements CommandExecutor, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(SshExecutor.class);
  private static final Duration KILL_TIMEOUT = Duration.ofSeconds(10);
  private static final Duration PID_REPORT_WAIT = Duration.ofSeconds(2);
  private static final AtomicInteger INSTANCES = new AtomicInteger();

  private final SshTarget target;
  private final List<IdentityFile> identityFiles;
  private final String password;
  private final Path knownHosts;
  private final boolean acceptAnyHostKey;
  private final Duration connectTimeout;
  private final Duration authTimeout;
  private final Duration commandTimeout;

  private final KnownHostsVerifier knownHostsVerifier;
  private final SshClient client;
  private final Semaphore channels;
  private final ExecutorService stdinWriters;
  private final Object connectLock = new Object();
  private volatile ClientSession session;
  private volatile boolean closed;
  private List<KeyPair> keys;

  private SshExecutor(Builder builder) {
    this.target = builder.target;
    this.identityFiles = List.copyOf(builder.identityFiles);
    this.password = builder.password;
    this.knownHosts = builder.knownHosts;
    this.acceptAnyHostKey = builder.acceptAnyHostKey;
    this.connectTimeout = builder.connectTimeout;
    this.authTimeout = builder.authTimeout;
    this.commandTimeout = builder.commandTimeout;
    this.channels = new Semaphore(builder.maxConcurrentCommands, true);
    int instance = INSTANCES.incrementAndGet();
    AtomicInteger threads = new AtomicInteger();
    this.stdinWriters =
        Executors.newCachedThreadPool(
            task -> {
              Thread thread =
                  new Thread(
                      task, "opskit-ssh-" + instance + "-stdin-" + threads.incrementAndGet());
              thread.setDaemon(true);
              return thread;
            });
    this.knownHostsVerifier = new KnownHostsVerifier(knownHosts);
    this.client = newClient();
  }

  /** A builder for an executor connecting to {@code target}. */
  public static Builder builder(SshTarget target) {
    return new Builder(Objects.requireNonNull(target, "target"));
  }

  /** Where this executor connects. */
  public SshTarget target() {
    return target;
  }

  private SshClient newClient() {
    SshClient ssh = SshClient.setUpDefaultClient();
    ServerKeyVerifier verifier =
        acceptAnyHostKey ? AcceptAllServerKeyVerifier.INSTANCE : knownHostsVerifier;
    ssh.setServerKeyVerifier(verifier);
    ssh.setHostConfigEntryResolver(HostConfigEntryResolver.EMPTY);
    ssh.setKeyIdentityProvider(KeyIdentityProvider.EMPTY_KEYS_PROVIDER);
    List<NamedFactory<Signature>> signatures =
        List.of(
                BuiltinSignatures.ed25519,
                BuiltinSignatures.nistp256,
                BuiltinSignatures.nistp384,
                BuiltinSignatures.nistp521,
                BuiltinSignatures.rsaSHA512,
                BuiltinSignatures.rsaSHA256)
            .stream()
            .filter(BuiltinSignatures::isSupported)
            .collect(Collectors.toList());
    ssh.setSignatureFactories(signatures);
    CoreModuleProperties.TCP_NODELAY.set(ssh, true);
    CoreModuleProperties.SOCKET_KEEPALIVE.set(ssh, true);
    CoreModuleProperties.IDLE_TIMEOUT.set(ssh, Duration.ZERO);
    CoreModuleProperties.HEARTBEAT_INTERVAL.set(ssh, Duration.ofSeconds(15));
    CoreModuleProperties.HEARTBEAT_NO_REPLY_MAX.set(ssh, 4);
    CoreModuleProperties.CHANNEL_OPEN_TIMEOUT.set(ssh, authTimeout);
    ssh.start();
    return ssh;
  }

  /**
   * Runs {@code command} on the remote host.
   *
   * @throws SshHostKeyException when the server's host key is unknown, changed or revoked
   * @throws IOException when connecting or authenticating fails, or the connection drops while the
   *     command runs
   * @throws InterruptedException when the calling thread is interrupted; the remote command is
   *     killed
   * @throws IllegalStateException after {@link #close()}
   */
  @Override
  public ExecResult execute(Command command) throws IOException, InterruptedException {
    Objects.requireNonNull(command, "command");
    return BoundedBuffer.collect(command, (out, err) -> execute(command, null, out, err));
  }

  /**
   * Runs {@code command} on the remote host, streaming its output to the sinks as it arrives; see
   * {@link CommandExecutor#execute(Command, OutputStream, OutputStream)}. SSH flow control keeps
   * memory bounded: the server sends no more than a channel window ahead of what the sinks took.
   * The sinks are written from the connection's I/O thread, so a slow sink slows down other
   * commands sharing the connection.
   *
   * @throws SshHostKeyException when the server's host key is unknown, changed or revoked
   * @throws IOException when connecting or authenticating fails, the connection drops while the
   *     command runs, or a sink fails (the remote command is then killed)
   * @throws InterruptedException when the calling thread is interrupted; the remote command is
   *     killed
   * @throws IllegalStateException after {@link #close()}
   */
  @Override
  public ExecResult execute(Command command, OutputStream stdout, OutputStream stderr)
      throws IOException, InterruptedException {
    return execute(command, null, stdout, stderr);
  }

  /**
   * Like {@link #execute(Command, OutputStream, OutputStream)}, with stdin streamed from {@code
   * stdin} after the command's own bytes, each chunk sent as soon as it is read, then end-of-file;
   * see {@link CommandExecutor#execute(Command, InputStream, OutputStream, OutputStream)}.
   */
  @Override
  public ExecResult execute(
      Command command, InputStream stdin, OutputStream stdout, OutputStream stderr)
      throws IOException, InterruptedException {
    Objects.requireNonNull(command, "command");
    Objects.requireNonNull(stdout, "stdout");
    Objects.requireNonNull(stderr, "stderr");
    ensureOpen();
    channels.acquire();
    try {
      return run(command, stdin, stdout, stderr);
    } finally {
      channels.release();
    }
  }

  private ExecResult run(
      Command command, InputStream source, OutputStream stdoutSink, OutputStream stderrSink)
      throws IOException, InterruptedException {
    Optional<Duration> timeout = command.timeout().or(() -> Optional.ofNullable(commandTimeout));
    String token = RemoteCommandLine.newToken();
    Command remote = StdinEnvironment.wrap(command);
    String line = RemoteCommandLine.render(remote, token);
    CompletableFuture<IOException> sinkFailed = new CompletableFuture<>();
    OutputStream stdout = new GuardedSink(stdoutSink, sinkFailed);
    PidReportFilter stderr = new PidReportFilter(new GuardedSink(stderrSink, sinkFailed), token);
    long start = System.nanoTime();
    ClientSession current = connected();
    ChannelExec channel;
    try {
      channel = open(current, line, stdout, stderr);
    } catch (IOException e) {
      if (current.isOpen()) {
        throw e;
      }
      LOG.debug("connection to {} was closed; connecting again", target, e);
      current = connected();
      channel = open(current, line, stdout, stderr);
    }
    CompletableFuture<Void> done = new CompletableFuture<>();
    channel.addCloseFutureListener(future -> done.complete(null));
    Future<?> feeding = sendStdin(channel, remote.stdin(), source);
    CompletableFuture<Object> doneOrSinkFailed = CompletableFuture.anyOf(done, sinkFailed);
    boolean timedOut = false;
    try {
      if (timeout.isPresent()) {
        doneOrSinkFailed.get(timeout.get().toNanos(), TimeUnit.NANOSECONDS);
      } else {
        doneOrSinkFailed.get();
      }
    } catch (TimeoutException e) {
      timedOut = true;
    } catch (ExecutionException e) {
      throw new IOException("waiting for " + command.display() + " failed", e.getCause());
    } catch (InterruptedException e) {
      Thread.interrupted();
      try {
        kill(current, channel, stderr);
      } finally {
        feeding.cancel(true);
        Thread.currentThread().interrupt();
      }
      throw e;
    }
    feeding.cancel(true);
    if (sinkFailed.isDone() && !done.isDone()) {
      kill(current, channel, stderr);
    }
    if (sinkFailed.isDone()) {
      IOException failure = sinkFailed.join();
      throw new IOException(
          "writing the output of "
              + command.display()
              + " failed, so it was stopped: "
              + failure.getMessage(),
          failure);
    }
    if (timedOut) {
      kill(current, channel, stderr);
    }
    stderr.finish();
    stdoutSink.flush();
    Duration duration = Duration.ofNanos(System.nanoTime() - start);
    ExecResult.Builder result =
        ExecResult.builder().command(command).duration(duration).timedOut(timedOut);
    if (timedOut) {
      return result.exitSignal("KILL").build();
    }
    Integer status = channel.getExitStatus();
    String signal = channel.getExitSignal();
    if (status == null && signal == null) {
      throw new IOException(
          "connection to "
              + target
              + " "
              + (current.isOpen() ? "closed the channel" : "dropped")
              + " before "
              + command.display()
              + " reported an exit status");
    }
    if (status != null) {
      result.exitCode(status);
    }
    if (signal != null) {
      result.exitSignal(signal);
    }
    return result.build();
  }

  /**
   * Opens an exec channel. OpenSSH frees a finished command's session slot only after it has reaped
   * the process, so right after a burst of commands it may briefly refuse a new channel ("no more
   * sessions") although fewer than {@code MaxSessions} are open: such refusals are retried until
   * the auth timeout; nothing has run on the host when a channel is refused.
   */
  private ChannelExec open(
      ClientSession current, String line, OutputStream stdout, OutputStream stderr)
      throws IOException, InterruptedException {
    long deadline = System.nanoTime() + authTimeout.toNanos();
    long backoffMillis = 2;
    while (true) {
      ChannelExec channel =
          current.createExecChannel(line.getBytes(StandardCharsets.UTF_8), null, null);
      channel.setOut(stdout);
      channel.setErr(stderr);
      try {
        channel.open().verify(authTimeout);
        return channel;
      } catch (IOException | RuntimeException e) {
        channel.close(true);
        if (!isOpenRefusal(e) || !current.isOpen() || System.nanoTime() > deadline) {
          throw e;
        }
        LOG.debug("{} refused a channel, retrying: {}", target, e.toString());
      }
      Thread.sleep(backoffMillis);
      backoffMillis = Math.min(100, backoffMillis * 2);
    }
  }

  private static boolean isOpenRefusal(Throwable e) {
    for (Throwable cause = e; cause != null; cause = cause.getCause()) {
      if (cause instanceof SshChannelOpenException) {
        return true;
      }
    }
    return false;
  }

  /**
   * Sends the stdin bytes, then each chunk read from {@code source}, then end-of-file, from a
   * writer thread (the channel blocks while the server's window is full).
   */
  private Future<?> sendStdin(ChannelExec channel, byte[] stdin, InputStream source) {
    OutputStream in = channel.getInvertedIn();
    if (stdin.length == 0 && source == null) {
      closeQuietly(in);
      return CompletableFuture.completedFuture(null);
    }
    return stdinWriters.submit(
        () -> {
          try (in) {
            in.write(stdin);
            if (source != null) {
              in.flush();
              byte[] buffer = new byte[32768];
              for (int n = source.read(buffer); n >= 0; n = source.read(buffer)) {
                if (Thread.currentThread().isInterrupted() || !channel.isOpen()) {
                  return;
                }
                in.write(buffer, 0, n);
                in.flush();
              }
            }
          } catch (IOException e) {
            LOG.debug("remote command stopped reading stdin: {}", e.toString());
          }
        });
  }

  private static void closeQuietly(OutputStream in) {
    try {
      in.close();
    } catch (IOException e) {
      LOG.debug("could not send end-of-file to the remote command: {}", e.toString());
    }
  }

  /**
   * Kills the command's remote process group: reads the PID its shell reported, closes the channel
   * and runs {@code kill} on a second channel (under the same concurrency permit).
   */
  private void kill(ClientSession current, ChannelExec channel, PidReportFilter stderr) {
    OptionalLong pid = stderr.pid();
    long deadline = System.nanoTime() + PID_REPORT_WAIT.toNanos();
    while (pid.isEmpty() && System.nanoTime() < deadline && channel.isOpen()) {
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
      pid = stderr.pid();
    }
    channel.close(true);
    if (pid.isEmpty() || !current.isOpen()) {
      LOG.warn(
          "could not kill a timed-out command on {}: {}",
          target,
          pid.isEmpty() ? "its PID was not reported" : "the connection is closed");
      return;
    }
    String kill = RemoteCommandLine.killGroup(pid.getAsLong());
    try {
      ChannelExec killer =
          open(current, kill, OutputStream.nullOutputStream(), OutputStream.nullOutputStream());
      closeQuietly(killer.getInvertedIn());
      killer.waitFor(EnumSet.of(ClientChannelEvent.CLOSED), KILL_TIMEOUT);
      killer.close(false);
    } catch (IOException | RuntimeException e) {
      LOG.warn("could not kill process group {} on {}", pid.getAsLong(), target, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      LOG.warn("interrupted while killing process group {} on {}", pid.getAsLong(), target);
    }
  }

  /**
   * Opens and authenticates the connection now, if it is not open yet, without running anything on
   * the host; later commands reuse it. Useful to warm up many hosts at once, or to check that a
   * host can be reached and accepts the credentials before a change starts.
   *
   * @throws SshHostKeyException when the server's host key is unknown, changed or revoked
   * @throws IOException when connecting or authenticating fails
   * @throws InterruptedException when the calling thread is interrupted while connecting
   * @throws IllegalStateException after {@link #close()}
   */
  public void connect() throws IOException, InterruptedException {
    ensureOpen();
    connected();
  }

  /** {@link #session()}, with an interrupt while connecting reported as such. */
  private ClientSession connected() throws IOException, InterruptedException {
    try {
      return session();
    } catch (InterruptedIOException e) {
      if (e instanceof SocketTimeoutException) {
        throw e;
      }
      InterruptedException interrupted =
          new InterruptedException("interrupted while connecting to " + target);
      interrupted.initCause(e);
      throw interrupted;
    }
  }

  private ClientSession session() throws IOException {
    ClientSession current = session;
    if (current != null && current.isOpen()) {
      return current;
    }
    synchronized (connectLock) {
      ensureOpen();
      current = session;
      if (current != null && current.isOpen()) {
        return current;
      }
      if (current != null) {
        current.close(true);
      }
      session = openSession();
      return session;
    }
  }

  private ClientSession openSession() throws IOException {
    List<KeyPair> identities = keys();
    ConnectFuture connecting = client.connect(target.user(), target.host(), target.port());
    try {
      if (!connecting.await(connectTimeout)) {
        connecting.cancel();
        throw new SocketTimeoutException(
            "connecting to " + target + " timed out after " + connectTimeout);
      }
    } catch (InterruptedIOException e) {
      connecting.cancel();
      throw e;
    }
    ClientSession fresh;
    try {
      fresh = connecting.verify().getSession();
    } catch (IOException e) {
      throw new IOException("cannot connect to " + target + ": " + rootCause(e), e);
    }
    try {
      identities.forEach(fresh::addPublicKeyIdentity);
      if (password != null) {
        fresh.addPasswordIdentity(password);
      }
      fresh.auth().verify(authTimeout);
      return fresh;
    } catch (IOException | RuntimeException e) {
      fresh.close(true);
      Optional<HostKeyRefusal> refusal = knownHostsVerifier.takeRefusal(fresh);
      if (refusal.isPresent()) {
        throw hostKeyException(refusal.get(), e);
      }
      if (fresh.getServerKey() == null && e instanceof IOException) {
        throw new IOException("SSH handshake with " + target + " failed: " + e.getMessage(), e);
      }
      throw new IOException(
          "authentication of "
              + target.user()
              + " at "
              + target
              + " failed (tried "
              + methods()
              + "): "
              + e.getMessage(),
          e);
    }
  }

  /** The innermost cause's message, which says what happened ("Connection refused"). */
  private static String rootCause(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String message = root.getMessage();
    return message == null || message.isBlank() ? root.getClass().getSimpleName() : message;
  }

  private SshHostKeyException hostKeyException(HostKeyRefusal refusal, Exception cause) {
    SshHostKeyException.Reason reason = SshHostKeyException.Reason.valueOf(refusal.kind().name());
    SshHostKeyException exception =
        new SshHostKeyException(
            reason,
            target,
            refusal.keyType(),
            refusal.fingerprint(),
            refusal.knownFingerprint(),
            knownHosts.toString());
    exception.initCause(cause);
    return exception;
  }

  private String methods() {
    List<String> methods = new ArrayList<>();
    identityFiles.forEach(file -> methods.add("publickey " + file.path));
    if (password != null) {
      methods.add("password");
    }
    return methods.isEmpty() ? "no credentials configured" : String.join(", ", methods);
  }

  private synchronized List<KeyPair> keys() throws IOException {
    if (keys == null) {
      List<KeyPair> loaded = new ArrayList<>();
      for (IdentityFile file : identityFiles) {
        loaded.addAll(KeyFiles.load(file.path, file.passphrase));
      }
      keys = List.copyOf(loaded);
    }
    return keys;
  }

  private void ensureOpen() {
    if (closed) {
      throw new IllegalStateException("SshExecutor for " + target + " is closed");
    }
  }

  /**
   * Closes the connection (commands still running fail with {@link IOException}) and stops the
   * client's threads. Idempotent. The executor cannot be used afterwards.
   */
  @Override
  public void close() {
    synchronized (connectLock) {
      if (closed) {
        return;
      }
      closed = true;
      ClientSession current = session;
      session = null;
      if (current != null) {
        current.close(true);
      }
    }
    try {
      client.stop();
    } finally {
      stdinWriters.shutdownNow();
    }
  }

  @Override
  public String toString() {
    return target.toString();
  }

  /**
   * Passes output to a caller's sink; the first failure is recorded (so the command can be stopped)
   * and later output is dropped, so the connection's I/O thread never sees the sink's exception.
   */
  private static final class GuardedSink extends OutputStream {
    private final OutputStream sink;
    private final CompletableFuture<IOException> failed;

    GuardedSink(OutputStream sink, CompletableFuture<IOException> failed) {
      this.sink = sink;
      this.failed = failed;
    }

    @Override
    public void write(int b) {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] data, int offset, int length) {
      if (failed.isDone()) {
        return;
      }
      try {
        sink.write(data, offset, length);
      } catch (IOException e) {
        failed.complete(e);
      } catch (RuntimeException e) {
        failed.complete(new IOException(e.toString(), e));
      }
    }

    @Override
    public void flush() throws IOException {
      if (!failed.isDone()) {
        sink.flush();
      }
    }
  }

  private static final class IdentityFile {
    final Path path;
    final String passphrase;

    IdentityFile(Path path, String passphrase) {
      this.path = path;
      this.passphrase = passphrase;
    }
  }

  /**
   * Configures an {@link SshExecutor}. At least one credential (an identity file or a password) is
   * needed. Not thread-safe; {@link #build()} may be called more than once, each time giving a new,
   * independent executor.
   */
  public static final class Builder {
    private final SshTarget target;
    private final List<IdentityFile> identityFiles = new ArrayList<>();
    private String password;
    private Path knownHosts = Path.of(System.getProperty("user.home"), ".ssh", "known_hosts");
    private boolean acceptAnyHostKey;
    private Duration connectTimeout = Duration.ofSeconds(10);
    private Duration authTimeout = Duration.ofSeconds(30);
    private Duration commandTimeout;
    private int maxConcurrentCommands = 8;

    private Builder(SshTarget target) {
      this.target = target;
    }

    /**
     * Authenticates with the unencrypted private key in {@code file} (OpenSSH format as written by
     * {@code ssh-keygen}, or PEM; ed25519, ECDSA or RSA). May be called several times.
     *
     * @throws IllegalArgumentException when the file does not exist, is not readable or holds no
     *     private key this client can use
     */
    public Builder identityFile(Path file) {
      return identityFile(file, null);
    }

    /**
     * Like {@link #identityFile(Path)}, for a key encrypted with {@code passphrase}.
     *
     * @throws IllegalArgumentException when the file does not exist, is not readable, or holds no
     *     private key that {@code passphrase} decrypts
     */
    public Builder identityFile(Path file, String passphrase) {
      Objects.requireNonNull(file, "file");
      if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
        throw new IllegalArgumentException(
            "identity file " + file + " must be a readable regular file");
      }
      try {
        KeyFiles.load(file, passphrase);
      } catch (IOException | RuntimeException e) {
        throw new IllegalArgumentException(
            "identity file "
                + file
                + " holds no usable private key (OpenSSH or PEM ed25519, ECDSA or RSA"
                + (passphrase == null ? ", unencrypted" : "")
                + "): "
                + e.getMessage(),
            e);
      }
      identityFiles.add(new IdentityFile(file, passphrase));
      return this;
    }

    /** Authenticates with a password (SSH {@code password} or keyboard-interactive method). */
    public Builder password(String password) {
      this.password = Objects.requireNonNull(password, "password");
      return this;
    }

    /**
     * The known_hosts file (OpenSSH format; hashed names and {@code [host]:port} entries work) that
     * must list the server's host key; {@code ~/.ssh/known_hosts} by default. A missing file means
     * every host is unknown. The file is only read, never written.
     */
    public Builder knownHosts(Path file) {
      this.knownHosts = Objects.requireNonNull(file, "file");
      this.acceptAnyHostKey = false;
      return this;
    }

    /**
     * <b>Insecure:</b> accepts whatever host key the server presents, so anyone able to intercept
     * the connection can impersonate the host and read or change everything sent, passwords
     * included. Only for throw-away test machines; never the default.
     */
    public Builder insecureAcceptAnyHostKey() {
      this.acceptAnyHostKey = true;
      return this;
    }

    /** How long opening the TCP connection may take; 10 seconds by default. */
    public Builder connectTimeout(Duration timeout) {
      this.connectTimeout = positive("connect timeout", timeout);
      return this;
    }

    /**
     * How long the SSH handshake and authentication may take, and opening a channel for a command;
     * 30 seconds by default.
     */
    public Builder authTimeout(Duration timeout) {
      this.authTimeout = positive("auth timeout", timeout);
      return this;
    }

    /**
     * The timeout of commands that have none of their own ({@link Command#timeout()} wins); none by
     * default.
     */
    public Builder commandTimeout(Duration timeout) {
      this.commandTimeout = positive("command timeout", timeout);
      return this;
    }

    /**
     * How many commands may run at once over the connection (one SSH channel each); 8 by default.
     * OpenSSH refuses more than {@code MaxSessions} (10 by default) channels per connection.
     */
    public Builder maxConcurrentCommands(int max) {
      if (max < 1) {
        throw new IllegalArgumentException("max concurrent commands " + max + " must be >= 1");
      }
      this.maxConcurrentCommands = max;
      return this;
    }

    /**
     * A new executor. It connects when the first command runs, not here.
     *
     * @throws IllegalStateException when neither an identity file nor a password was given
     */
    public SshExecutor build() {
      if (identityFiles.isEmpty() && password == null) {
        throw new IllegalStateException(
            "no credentials for " + target + ": call identityFile(...) or password(...)");
      }
      return new SshExecutor(this);
    }

    private static Duration positive(String what, Duration value) {
      Objects.requireNonNull(value, what);
      if (value.isNegative() || value.isZero()) {
        throw new IllegalArgumentException(what + " must be positive, was " + value);
      }
      return value;
    }
  }
}
