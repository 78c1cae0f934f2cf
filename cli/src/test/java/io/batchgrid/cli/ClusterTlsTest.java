package io.batchgrid.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Artery over TLS with mutual authentication, with certificates made by keytool: a member holding
 * the cluster's certificate joins; one with a certificate of its own (which trusts the cluster's,
 * so only mutual authentication can stop it) never becomes a member and gives up joining.
 */
class ClusterTlsTest {
  private static final String PASSWORD = "test-password";

  @TempDir
  Path dir;

  private final List<ActorSystem<?>> systems = new ArrayList<>();

  @AfterEach
  void stop() {
    systems.forEach(ActorSystem::terminate);
    systems.forEach(s -> s.getWhenTerminated().toCompletableFuture().join());
  }

  @Test
  void onlyAMemberWithTheClustersCertificateJoins() throws Exception {
    Path cluster = keyStore("cluster");
    Path stranger = keyStore("stranger");
    Path trustsCluster = trustStore("trusts-cluster", "cluster");
    Path trustsBoth = trustStore("trusts-both", "cluster", "stranger");

    ActorSystem<Void> coordinator = system("coordinator", cluster, trustsCluster, null);
    Address seed = Cluster.get(coordinator).selfMember().address();
    Cluster.get(coordinator).manager().tell(Join.create(seed));
    up(coordinator).get(120, TimeUnit.SECONDS);

    ActorSystem<Void> worker = system("worker", cluster, trustsCluster, seed);
    up(worker).get(120, TimeUnit.SECONDS);

    // The stranger trusts the cluster, but the cluster does not trust it.
    ActorSystem<Void> intruder = system("intruder", stranger, trustsBoth, seed);
    Address intruderAddress = Cluster.get(intruder).selfMember().address();
    intruder.getWhenTerminated().toCompletableFuture().get(120, TimeUnit.SECONDS);
    assertEquals(CoordinatedShutdown.clusterJoinUnsuccessfulReason(),
        CoordinatedShutdown.get(intruder).getShutdownReason().orElseThrow(), "the intruder gave up joining");
    List<Address> members = new ArrayList<>();
    for (Member m : Cluster.get(coordinator).state().getMembers()) {
      members.add(m.address());
    }
    assertTrue(members.contains(Cluster.get(worker).selfMember().address()), members.toString());
    assertFalse(members.contains(intruderAddress), members.toString());
    assertEquals(2, members.size(), members.toString());
  }

  @Test
  void aMissingStoreIsABadSettingNamingTheKey() {
    Config config = ConfigFactory.parseMap(Map.of("batchgrid.cluster.tls.enabled", true,
        "batchgrid.cluster.tls.trust-store", dir.resolve("nothing.p12").toString()))
        .withFallback(ConfigFactory.load()).resolve();
    ConfigException e = assertThrows(ConfigException.BadValue.class, () -> ClusterTls.apply(config));
    assertTrue(e.getMessage().contains("batchgrid.cluster.tls.key-store"), e.getMessage());
    // Off: nothing changes.
    assertEquals("tcp", ClusterTls.apply(ConfigFactory.load()).getString("pekko.remote.artery.transport"));
  }

  private ActorSystem<Void> system(String name, Path keyStore, Path trustStore, Address seed) {
    java.util.Map<String, Object> o = new java.util.HashMap<>();
    o.put("batchgrid.cluster.tls.enabled", true);
    o.put("batchgrid.cluster.tls.key-store", keyStore.toString());
    o.put("batchgrid.cluster.tls.key-store-password", PASSWORD);
    o.put("batchgrid.cluster.tls.trust-store", trustStore.toString());
    o.put("batchgrid.cluster.tls.trust-store-password", PASSWORD);
    o.put("pekko.remote.artery.canonical.port", 0);
    o.put("pekko.cluster.roles", List.of(seed == null ? "coordinator" : "worker"));
    if (seed != null) {
      o.put("pekko.cluster.seed-nodes", List.of(seed.toString()));
      o.put("pekko.cluster.shutdown-after-unsuccessful-join-seed-nodes", "10s");
    }
    Config config = ClusterTls.apply(ConfigFactory.parseMap(o, name).withFallback(ConfigFactory.load()).resolve());
    assertEquals("tls-tcp", config.getString("pekko.remote.artery.transport"));
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "batchgrid", config);
    systems.add(system);
    return system;
  }

  private static CompletableFuture<Void> up(ActorSystem<?> system) {
    CompletableFuture<Void> up = new CompletableFuture<>();
    org.apache.pekko.cluster.Cluster.get(Adapter.toClassic(system)).registerOnMemberUp(() -> up.complete(null));
    return up;
  }

  /** A PKCS12 key store with a new self-signed RSA key pair under the alias {@code name}. */
  private Path keyStore(String name) throws Exception {
    Path file = dir.resolve(name + ".p12");
    keytool("-genkeypair", "-alias", name, "-keyalg", "RSA", "-keysize", "2048", "-dname", "CN=" + name,
        "-validity", "2", "-storetype", "PKCS12", "-keystore", file.toString(), "-storepass", PASSWORD,
        "-keypass", PASSWORD);
    keytool("-exportcert", "-alias", name, "-keystore", file.toString(), "-storepass", PASSWORD,
        "-file", dir.resolve(name + ".cer").toString());
    return file;
  }

  /** A PKCS12 trust store holding the certificates of these key stores. */
  private Path trustStore(String name, String... trusted) throws Exception {
    Path file = dir.resolve(name + ".p12");
    for (String t : trusted) {
      keytool("-importcert", "-noprompt", "-alias", t, "-file", dir.resolve(t + ".cer").toString(),
          "-storetype", "PKCS12", "-keystore", file.toString(), "-storepass", PASSWORD);
    }
    return file;
  }

  private static void keytool(String... args) throws Exception {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "keytool " + cmd);
    assertEquals(0, p.exitValue(), "keytool " + cmd + ": " + out);
  }
}
