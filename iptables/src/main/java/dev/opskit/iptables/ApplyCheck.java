package dev.opskit.iptables;

/**
 * A caller's test that the host is still fine after a change, for example "can I still open a new
 * SSH connection" or "does the health endpoint answer". Used by {@code applyWithCheck}: when it
 * returns false, throws, or runs past its timeout, the change is rolled back (the idea of {@code
 * iptables-apply}). Runs on a separate thread; it is interrupted on timeout.
 */
@FunctionalInterface
public interface ApplyCheck {
  /** True when the host is still reachable and healthy. */
  boolean passes() throws Exception;
}
