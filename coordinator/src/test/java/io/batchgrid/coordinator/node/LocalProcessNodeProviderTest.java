package io.batchgrid.coordinator.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;

import com.typesafe.config.ConfigFactory;

class LocalProcessNodeProviderTest {

  @Test
  void workersStartLikeTheLauncherFromThisJvmsCode() {
    LocalProcessNodeProvider.Launcher launcher = LocalProcessNodeProvider.Launcher.of(ConfigFactory.load());
    List<String> cmd = launcher.command();
    assertTrue(cmd.get(0).endsWith("/bin/java"), cmd.toString());
    assertTrue(cmd.contains("-Djdk.lang.Process.launchMechanism=VFORK"), cmd.toString());
    assertTrue(cmd.contains("-Djava.util.concurrent.ForkJoinPool.common.parallelism=2"), cmd.toString());
    assertTrue(cmd.stream().anyMatch(o -> o.startsWith("-Xmx")), "a modest heap: " + cmd);
    // Tests run from classes, not from the batchgrid jar: the classpath and the main class then.
    assertEquals("io.batchgrid.cli.Main", cmd.get(cmd.size() - 1));
    assertEquals("-cp", cmd.get(cmd.size() - 3));
    assertEquals(Duration.ofSeconds(10), launcher.stopGrace());
  }
}
