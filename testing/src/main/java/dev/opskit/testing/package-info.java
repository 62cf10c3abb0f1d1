/**
 * Test kit for code that uses opskit: {@link dev.opskit.testing.FakeHost}, a Linux host in memory
 * that answers every command opskit's appliers send and keeps the state they change. opskit's own
 * applier unit tests run on it, so it speaks exactly the scripts of the same opskit version: take
 * it from {@code opskit-bom} with the appliers.
 *
 * <pre>{@code
 * FakeHost host = FakeHost.create().withSysctl("net.core.somaxconn", "1024");
 * SysctlApplier.on(host).apply(profile);
 * assertThat(host.sysctl("net.core.somaxconn")).hasValue("4096");
 * }</pre>
 */
package dev.opskit.testing;
