package dev.opskit.testing;

import dev.opskit.core.Command;
import dev.opskit.core.CommandExecutor;
import dev.opskit.core.ExecResult;
import dev.opskit.core.FakeCommandExecutor;
import dev.opskit.iptables.IpFamily;
import dev.opskit.iptables.IptablesBackend;
import dev.opskit.iptables.internal.ShellBatch;
import dev.opskit.iptables.internal.ShellBatchDecoder;
import dev.opskit.testing.internal.FileTree;
import dev.opskit.testing.internal.HostState;
import dev.opskit.testing.internal.Output;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A Linux host in memory that answers every command opskit's appliers send, batched or not, so that
 * code calling {@code IptablesApplier}, {@code SysctlApplier}, {@code LimitsApplier}, {@code
 * DatapathDetector} or {@code IptablesPersistence} can be unit-tested without root, a network
 * namespace or a shell. opskit's own applier unit tests run on it.
 *
 * <pre>{@code
 * FakeHost host = FakeHost.create().withSysctl("net.core.somaxconn", "1024");
 * SysctlApplier.on(host).apply(SysctlProfile.builder().name("web").set("net.core.somaxconn", "4096").build());
 * assertThat(host.sysctl("net.core.somaxconn")).hasValue("4096");
 * assertThat(host.file("/etc/sysctl.d/99-opskit-web.conf")).isPresent();
 * }</pre>
 *
 * <p><b>What it keeps</b>: iptables tables per family and backend ({@code iptables-save}, {@code
 * iptables-restore} with and without {@code --noflush}, single {@code iptables
 * -A/-I/-D/-C/-N/-X/-F} commands, {@code iptables --version} naming the backend; a jump to a
 * missing chain, a {@code --match-set} of a missing set or a {@code -X} of a chain still in use is
 * refused as the kernel refuses it), ipsets ({@code create/add/del/flush/swap/destroy/save/list
 * -n/restore}, {@code -exist}; a set a rule matches cannot be destroyed), the {@code /proc/sys}
 * values ({@code sysctl -n}, {@code sysctl [-e] -p FILE}, the appliers' scripts), a file tree
 * (sysctl.d, limits.d, systemd drop-ins, persistence files; written atomically by the appliers'
 * scripts), the network namespace ({@code /proc/self/ns/net}, {@code /proc/1/ns/net}), {@code
 * SSH_CONNECTION}, network interfaces ({@code ls /sys/class/net}), nft tables and running processes
 * for datapath detection. The appliers' batches ({@code sh -c} with a private framing) are taken
 * apart with the decoder of the same opskit version and answered framed, with the host-side lock,
 * generation and journal files in the state directory they name: two appliers on one {@code
 * FakeHost} contend as they would on a host. Anything it does not understand throws an {@link
 * IllegalStateException} naming the argv, rather than guessing. Tables are listed with {@code
 * iptables -t TABLE -S} too.
 *
 * <p><b>A fresh host</b> ({@link #create()}) has the folders {@code /etc/sysctl.d}, {@code
 * /etc/security/limits.d}, {@code /etc/systemd/system} and {@code /run} (empty), the nf_tables
 * backend and no rules or ipsets, interfaces {@code eth0} and {@code lo}, no {@code
 * SSH_CONNECTION}, the host's network namespace, open-file limits 1024/524288, and these kernel
 * values: {@code fs.file-max} 9223372036854775807, {@code fs.nr_open} 1048576, {@code
 * fs.inotify.max_user_watches} 8192, {@code fs.inotify.max_user_instances} 128, {@code
 * net.core.somaxconn} 4096, {@code net.core.netdev_max_backlog} 1000, {@code net.ipv4.ip_forward}
 * 0, {@code net.ipv4.ip_local_port_range} 32768 60999, {@code net.ipv4.tcp_rmem} 4096 131072
 * 6291456, {@code vm.max_map_count} 65530, {@code kernel.pid_max} 4194304. A key it does not have
 * is unknown to its kernel, as {@code net.bridge.*} is before {@code br_netfilter} is loaded.
 *
 * <p><b>Faults</b>: {@link #failNext(String, int, String)} and {@link #failWhen} make a step exit
 * non-zero without running, {@link #refuseSysctlWrite} and {@link #ignoreSysctlWrite} make the
 * kernel refuse or silently drop a value, {@link #holdLock} holds the host-side lock as another
 * apply would, {@link #beforeNext} runs code (another applier, say) just before a call and {@link
 * #afterNext} just after one program ran.
 *
 * <p>Use {@link FakeCommandExecutor} instead to script replies argv by argv, for code of your own
 * that runs plain commands. Thread-safe: each call runs as one step against the host's state, so
 * many threads (or a fleet of hosts) may share it.
 */
public final class FakeHost implements CommandExecutor {
  /**
   * Code to run just before a call ({@link #beforeNext}) or just after a program ({@link
   * #afterNext}), such as another applier's apply.
   *
   * <pre>{@code
   * host.beforeNext(List.of("iptables-restore", "--noflush", "-w")::equals,
   *     () -> otherApplier.apply(otherAllowlist));
   * }</pre>
   */
  @FunctionalInterface
  public interface Action {
    /** Runs; an exception fails the call it ran before. */
    void run() throws Exception;
  }

  /**
   * One call the host received, and the programs it ran: for a batched call each of its steps (a
   * write with its input as stdin), otherwise the command itself.
   *
   * <pre>{@code
   * FakeHost.Call first = host.calls().get(0);
   * assertThat(first.programs()).containsExactly("printenv", "iptables", "ipset", "iptables-save");
   * }</pre>
   *
   * @param command the command as the executor received it
   * @param steps the programs it ran, in order
   * @param batched true for an applier's batch
   * @param write true for a batch that writes (it states and bumps the host's generation)
   */
  public record Call(Command command, List<Command> steps, boolean batched, boolean write) {
    /** The program names of the steps, in order. */
    public List<String> programs() {
      return steps.stream().map(step -> step.argv().get(0)).toList();
    }

    /** The argv of each step, in order. */
    public List<List<String>> argvs() {
      return steps.stream().map(Command::argv).toList();
    }
  }

  /**
   * The host-side lock, held by the test as another apply would hold it; {@link #close()} releases
   * it.
   *
   * <pre>{@code
   * try (FakeHost.HeldLock held = host.holdLock("/run/opskit")) {
   *   assertThatThrownBy(() -> applier.apply(allowlist)).isInstanceOf(HostLockedException.class);
   * }
   * }</pre>
   */
  public static final class HeldLock implements AutoCloseable {
    private final Semaphore semaphore;
    private boolean released;

    private HeldLock(Semaphore semaphore) {
      this.semaphore = semaphore;
    }

    /** Releases the lock; a second call does nothing. */
    @Override
    public synchronized void close() {
      if (!released) {
        released = true;
        semaphore.release();
      }
    }
  }

  private record Fault(Predicate<List<String>> argv, int exit, String stderr, boolean once) {}

  private record Hook(Predicate<List<String>> argv, Action action) {}

  private final HostState state = new HostState();
  private final List<Fault> faults = new ArrayList<>();
  private final List<Hook> hooks = new ArrayList<>();
  private final List<Hook> afterHooks = new ArrayList<>();
  private final List<Call> calls = new ArrayList<>();
  private final Map<String, Semaphore> locks = new ConcurrentHashMap<>();

  private FakeHost() {
    withSysctl("fs.file-max", "9223372036854775807");
    withSysctl("fs.nr_open", "1048576");
    withSysctl("fs.inotify.max_user_watches", "8192");
    withSysctl("fs.inotify.max_user_instances", "128");
    withSysctl("net.core.somaxconn", "4096");
    withSysctl("net.core.netdev_max_backlog", "1000");
    withSysctl("net.ipv4.ip_forward", "0");
    withSysctl("net.ipv4.ip_local_port_range", "32768 60999");
    withSysctl("net.ipv4.tcp_rmem", "4096 131072 6291456");
    withSysctl("vm.max_map_count", "65530");
    withSysctl("kernel.pid_max", "4194304");
    withInterfaces("eth0", "lo");
    for (String folder :
        List.of("/etc/sysctl.d", "/etc/security/limits.d", "/etc/systemd/system", "/run")) {
      withDirectory(folder);
    }
  }

  /** A fresh host, as described in the class documentation. */
  public static FakeHost create() {
    return new FakeHost();
  }

  // ---- seeding ----

  /**
   * Gives the kernel {@code key} with {@code value} (numbers of a vector are stored tab-separated,
   * as the kernel prints them).
   */
  public synchronized FakeHost withSysctl(String key, String value) {
    state.kernel.seed(key, value);
    return this;
  }

  /** Takes {@code key} away from the kernel: it is unknown there. */
  public synchronized FakeHost withoutSysctl(String key) {
    state.kernel.remove(key);
    return this;
  }

  /** Makes {@code iptables --version} and the unsuffixed programs use {@code backend}. */
  public synchronized FakeHost withIptablesBackend(IptablesBackend backend) {
    state.backend = Objects.requireNonNull(backend, "backend");
    return this;
  }

  /**
   * Loads {@code iptablesSave} (text as {@code iptables-save} prints it) into the tables of {@code
   * family} of the host's backend, replacing each table it names.
   *
   * @throws IllegalArgumentException when the text would not restore
   */
  public FakeHost withIptables(IpFamily family, String iptablesSave) {
    synchronized (this) {
      return withIptables(state.backend, family, iptablesSave);
    }
  }

  /** {@link #withIptables(IpFamily, String)} for the tables of a given backend. */
  public synchronized FakeHost withIptables(
      IptablesBackend backend, IpFamily family, String iptablesSave) {
    Output loaded =
        state.netfilter.restore("iptables-restore", backend, family, iptablesSave, false);
    if (!loaded.isSuccess()) {
      throw new IllegalArgumentException("iptables rules do not load: " + loaded.stderr().strip());
    }
    return this;
  }

  /** Creates (or replaces) a {@code hash:net} ipset holding {@code entries}. */
  public synchronized FakeHost withIpset(String name, IpFamily family, String... entries) {
    state.ipsets.seed(name, family, List.of(entries));
    return this;
  }

  /** Writes a file (creating its folders). */
  public synchronized FakeHost withFile(String path, String content) {
    state.files.write(path, content);
    return this;
  }

  /** Creates a folder and its parents. */
  public synchronized FakeHost withDirectory(String path) {
    state.files.mkdirs(path);
    return this;
  }

  /** Creates a folder in which no file can be created (a read-only mount). */
  public synchronized FakeHost withReadOnlyDirectory(String path) {
    state.files.readOnly(path);
    return this;
  }

  /**
   * Sets {@code SSH_CONNECTION} as sshd sets it for the executor's session: {@code "CLIENT_IP
   * CLIENT_PORT SERVER_IP SERVER_PORT"}.
   */
  public synchronized FakeHost withSshConnection(String sshConnection) {
    state.environment.put("SSH_CONNECTION", Objects.requireNonNull(sshConnection));
    return this;
  }

  /**
   * Runs the commands inside the network namespace {@code link} (as {@code readlink
   * /proc/self/ns/net} prints it, such as {@code net:[4026532999]}) while PID 1 stays in the
   * host's.
   */
  public synchronized FakeHost withNetworkNamespace(String link) {
    state.networkNamespace = Objects.requireNonNull(link, "link");
    return this;
  }

  /** Sets PID 1's network namespace; empty makes it unreadable (as for an unprivileged user). */
  public synchronized FakeHost withInitNetworkNamespace(String link) {
    state.initNetworkNamespace = Objects.requireNonNull(link, "link");
    return this;
  }

  /** Sets the shell's soft and hard open-file limits ({@code ulimit -Sn}, {@code -Hn}). */
  public synchronized FakeHost withOpenFileLimits(String soft, String hard) {
    state.nofileSoft = soft;
    state.nofileHard = hard;
    return this;
  }

  /** Makes these the host's network interfaces ({@code /sys/class/net}). */
  public synchronized FakeHost withInterfaces(String... names) {
    for (String old : state.files.list("/sys/class/net")) {
      state.files.delete("/sys/class/net/" + old);
    }
    state.files.mkdirs("/sys/class/net");
    for (String name : names) {
      state.files.write("/sys/class/net/" + name, "");
    }
    return this;
  }

  /** Sets what {@code nft list tables} prints, one line each ({@code table ip kube-proxy}). */
  public synchronized FakeHost withNftTables(String... tables) {
    state.nftTables = List.of(tables);
    return this;
  }

  /** Adds a running process: its name ({@code comm}) and environment ({@code NAME=value}). */
  public synchronized FakeHost withProcess(String name, String... environment) {
    state.process(name, List.of(environment));
    return this;
  }

  /** Removes a program from the host: running it exits 127 ("not found"). */
  public synchronized FakeHost withoutProgram(String program) {
    state.missingPrograms.add(program);
    return this;
  }

  // ---- faults ----

  /**
   * Makes the next run of {@code program} (a batch step or a command) exit with {@code exitCode}
   * and {@code stderr}, without running it.
   *
   * <pre>{@code
   * host.failNext("iptables-restore", 1, "iptables-restore: line 3 failed");
   * }</pre>
   */
  public FakeHost failNext(String program, int exitCode, String stderr) {
    return failNext(argv -> argv.get(0).equals(program), exitCode, stderr);
  }

  /** Makes the next run whose argv matches {@code argv} fail, without running it. */
  public synchronized FakeHost failNext(Predicate<List<String>> argv, int exitCode, String stderr) {
    faults.add(new Fault(argv, exitCode, stderr, true));
    return this;
  }

  /** Makes every run whose argv matches {@code argv} fail, without running it. */
  public synchronized FakeHost failWhen(Predicate<List<String>> argv, int exitCode, String stderr) {
    faults.add(new Fault(argv, exitCode, stderr, false));
    return this;
  }

  /**
   * Makes the kernel refuse writes of {@code key} with EINVAL (as for a value out of its range):
   * its value stays; writing the value it already holds still succeeds.
   */
  public synchronized FakeHost refuseSysctlWrite(String key) {
    state.kernel.refuse(key);
    return this;
  }

  /** Makes the kernel accept writes of {@code key} but keep its value (a clamped tunable). */
  public synchronized FakeHost ignoreSysctlWrite(String key) {
    state.kernel.ignore(key);
    return this;
  }

  /**
   * Runs {@code action} once, on the calling thread, just before the next call that runs a program
   * whose argv matches {@code argv} (before that call takes the host-side lock): to let another
   * applier change the host between an applier's read and its write.
   */
  public synchronized FakeHost beforeNext(Predicate<List<String>> argv, Action action) {
    hooks.add(new Hook(argv, action));
    return this;
  }

  /**
   * Runs {@code action} once, right after the next program whose argv matches {@code argv} ran,
   * inside the same call (and under the host-side lock a batch holds): to change the host behind
   * the applier's back, as a controller or an admin would, between a write and its read-back.
   *
   * <pre>{@code
   * host.afterNext(argv -> argv.equals(List.of("ipset", "restore")),
   *     () -> host.withIpset("opskit-web-v4", IpFamily.IPV4, "198.18.9.9"));
   * }</pre>
   */
  public synchronized FakeHost afterNext(Predicate<List<String>> argv, Action action) {
    afterHooks.add(new Hook(argv, action));
    return this;
  }

  /**
   * Takes the host-side lock that the iptables appliers' batches take in {@code stateDirectory} for
   * this host's network namespace, as a long apply would hold it.
   *
   * @throws IllegalStateException when a batch holds it right now
   */
  public HeldLock holdLock(String stateDirectory) {
    Semaphore lock;
    synchronized (this) {
      lock = lock(stateDirectory, state.namespaceKey());
    }
    if (!lock.tryAcquire()) {
      throw new IllegalStateException("the lock is held by a batch");
    }
    return new HeldLock(lock);
  }

  // ---- inspection ----

  /**
   * The kernel's value of {@code key} (vectors tab-separated), or empty when it has no such key.
   */
  public synchronized Optional<String> sysctl(String key) {
    return state.kernel.read(key);
  }

  /** What {@code iptables-save} (or {@code ip6tables-save}) prints for the host's backend. */
  public synchronized String iptablesSave(IpFamily family) {
    return state.netfilter.save(state.backend, family, Optional.empty());
  }

  /** What {@code iptables-save} of {@code backend} prints for {@code family}. */
  public synchronized String iptablesSave(IptablesBackend backend, IpFamily family) {
    return state.netfilter.save(backend, family, Optional.empty());
  }

  /** Every ipset's entries by name, as {@code ipset save} prints them (no /32 on addresses). */
  public synchronized Map<String, List<String>> ipsets() {
    return state.ipsets.entries();
  }

  /** The content of the regular file at {@code path}. */
  public synchronized Optional<String> file(String path) {
    return state.files.read(path);
  }

  /** Every regular file by path, sorted. */
  public synchronized Map<String, String> files() {
    return state.files.files();
  }

  /** How many times {@code systemctl daemon-reload} ran. */
  public synchronized int daemonReloads() {
    return state.daemonReloads;
  }

  /** Every call received so far, in order. */
  public synchronized List<Call> calls() {
    return List.copyOf(calls);
  }

  /** Every program run so far, the steps of batches each on their own, in order. */
  public synchronized List<Command> steps() {
    return calls.stream().flatMap(c -> c.steps().stream()).toList();
  }

  /** Forgets the recorded calls; the state stays. */
  public synchronized void clearCalls() {
    calls.clear();
  }

  // ---- execution ----

  @Override
  public ExecResult execute(Command command) throws IOException, InterruptedException {
    Optional<ShellBatchDecoder.Decoded> batch = ShellBatchDecoder.decode(command);
    List<List<String>> argvs =
        batch
            .map(b -> b.steps().stream().map(ShellBatchDecoder.DecodedStep::argv).toList())
            .orElse(List.of(command.argv()));
    runHooks(argvs);
    if (batch.isEmpty()) {
      synchronized (this) {
        Output output = run(command.argv(), new String(command.stdin(), StandardCharsets.UTF_8));
        calls.add(new Call(command, List.of(command), false, false));
        return ExecResult.of(
            command, output.exit(), output.stdout(), output.stderr(), Duration.ZERO);
      }
    }
    return runBatch(command, batch.get());
  }

  private void runHooks(List<List<String>> argvs) throws IOException, InterruptedException {
    List<Action> due = new ArrayList<>();
    synchronized (this) {
      for (Iterator<Hook> it = hooks.iterator(); it.hasNext(); ) {
        Hook hook = it.next();
        if (argvs.stream().anyMatch(hook.argv())) {
          it.remove();
          due.add(hook.action());
        }
      }
    }
    for (Action action : due) {
      try {
        action.run();
      } catch (IOException | InterruptedException | RuntimeException e) {
        throw e;
      } catch (Exception e) {
        throw new IllegalStateException("an action before a call failed", e);
      }
    }
  }

  /** Runs one program, or fails it when a fault says so. Call with the monitor held. */
  private Output run(List<String> argv, String input) {
    for (Iterator<Fault> it = faults.iterator(); it.hasNext(); ) {
      Fault fault = it.next();
      if (fault.argv().test(argv)) {
        if (fault.once()) {
          it.remove();
        }
        return Output.fail(fault.exit(), fault.stderr());
      }
    }
    Output output = state.run(argv, input);
    for (Iterator<Hook> it = afterHooks.iterator(); it.hasNext(); ) {
      Hook hook = it.next();
      if (hook.argv().test(argv)) {
        it.remove();
        try {
          hook.action().run();
        } catch (RuntimeException e) {
          throw e;
        } catch (Exception e) {
          throw new IllegalStateException("an action after " + argv + " failed", e);
        }
      }
    }
    return output;
  }

  /** The path the batch script names its lock, generation and journal files after. */
  private static String hostFiles(String directory, String namespaceKey) {
    return FileTree.clean(directory)
        + "/iptables"
        + (namespaceKey.isEmpty() ? "" : "-" + namespaceKey);
  }

  private Semaphore lock(String directory, String namespaceKey) {
    return locks.computeIfAbsent(
        hostFiles(directory, namespaceKey) + ".lock", p -> new Semaphore(1));
  }

  /** Acts out the batch script: lock, generation, journal, steps, framing. */
  private ExecResult runBatch(Command command, ShellBatchDecoder.Decoded batch)
      throws InterruptedException {
    String namespaceKey;
    Semaphore lock;
    synchronized (this) {
      namespaceKey = batch.namespaceKey().equals("-") ? state.namespaceKey() : batch.namespaceKey();
      if (state.missingPrograms.contains("flock")) {
        return record(
            command, batch, List.of(), batch.refused(command, ShellBatch.Refusal.NO_FLOCK, ""));
      }
      lock = lock(batch.stateDirectory(), namespaceKey);
    }
    String files = hostFiles(batch.stateDirectory(), namespaceKey);
    if (!lock.tryAcquire(batch.lockWait().toMillis(), TimeUnit.MILLISECONDS)) {
      synchronized (this) {
        return record(
            command,
            batch,
            List.of(),
            batch.refused(command, ShellBatch.Refusal.LOCKED, files + ".lock"));
      }
    }
    try {
      synchronized (this) {
        state.files.mkdirs(batch.stateDirectory());
        String gen = state.files.read(files + ".gen").orElse("").strip();
        long generation = gen.isEmpty() ? 0 : Long.parseLong(gen);
        if (batch.isWrite() && batch.expectedGeneration() != generation) {
          return record(
              command,
              batch,
              List.of(),
              batch.refused(command, ShellBatch.Refusal.STALE, Long.toString(generation)));
        }
        Optional<String> unfinished = Optional.empty();
        String journal = state.files.read(files + ".journal").orElse("");
        if (batch.isWrite()) {
          generation++;
          state.files.write(files + ".gen", generation + "\n");
          if (batch.journal().isPresent()) {
            state.files.write(files + ".journal", batch.journal().get());
          }
        } else if (!journal.isEmpty()) {
          unfinished = Optional.of(journal);
        }
        List<ExecResult> results = new ArrayList<>();
        List<Command> ran = new ArrayList<>();
        boolean stopped = false;
        for (ShellBatchDecoder.DecodedStep step : batch.steps()) {
          Command stepCommand =
              step.input()
                  .map(in -> Command.of(step.argv()).withStdin(in))
                  .orElse(Command.of(step.argv()));
          Output output = run(step.argv(), step.input().orElse(""));
          ran.add(stepCommand);
          results.add(
              ExecResult.of(
                  stepCommand, output.exit(), output.stdout(), output.stderr(), Duration.ZERO));
          if (step.isWrite() && !output.isSuccess()) {
            stopped = true;
            break;
          }
        }
        if (batch.isWrite() && !stopped && state.files.read(files + ".journal").isPresent()) {
          state.files.write(files + ".journal", "");
        }
        return record(
            command, batch, ran, batch.ran(command, generation, unfinished, namespaceKey, results));
      }
    } finally {
      lock.release();
    }
  }

  private ExecResult record(
      Command command, ShellBatchDecoder.Decoded batch, List<Command> ran, ExecResult result) {
    calls.add(new Call(command, List.copyOf(ran), true, batch.isWrite()));
    return result;
  }

  @Override
  public String toString() {
    return "FakeHost";
  }
}
