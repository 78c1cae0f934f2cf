package io.batchgrid.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.batchgrid.config.Settings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServerConfigTest {

  @TempDir Path tmp;

  private Settings settings() {
    return new Settings(tmp.resolve("data"), "127.0.0.1", 0, "batchgrid", "", "in-process");
  }

  @Test
  void theServerConfigHasEveryConcern() {
    Config c = ServerConfig.forServer(settings(), ConfigFactory.load());
    assertEquals("cluster", c.getString("pekko.actor.provider"));
    assertEquals("127.0.0.1", c.getString("pekko.remote.artery.canonical.hostname"));
    assertEquals("org.apache.pekko.cluster.sbr.SplitBrainResolverProvider",
        c.getString("pekko.cluster.downing-provider-class"));
    assertTrue(c.getBoolean("pekko.cluster.jmx.multi-mbeans-in-same-jvm"));
    assertEquals("pekko.persistence.journal.leveldb", c.getString("pekko.persistence.journal.plugin"));
    assertTrue(c.getBoolean("pekko.persistence.journal.leveldb.native"));
    assertTrue(c.getBoolean("pekko.persistence.journal.leveldb.fsync"));
    assertEquals("pekko.persistence.snapshot-store.local",
        c.getString("pekko.persistence.snapshot-store.plugin"));
    assertTrue(c.getBoolean("pekko.cluster.sharding.remember-entities"));
    assertEquals("eventsourced", c.getString("pekko.cluster.sharding.remember-entities-store"));
    assertEquals(100000, c.getInt("pekko.persistence.typed.stash-capacity"));
    assertEquals(List.of("org.apache.pekko.event.slf4j.Slf4jLogger"),
        c.getStringList("pekko.loggers"));
    assertTrue(!c.getBoolean("pekko.actor.allow-java-serialization"));
    // Entities only on coordinators; a dead worker is downed within seconds by the side with the coordinator.
    assertEquals(List.of("coordinator", "api", "worker"), c.getStringList("pekko.cluster.roles"));
    assertEquals("coordinator", c.getString("pekko.cluster.sharding.role"));
    assertEquals("keep-oldest", c.getString("pekko.cluster.split-brain-resolver.active-strategy"));
    assertEquals("coordinator", c.getString("pekko.cluster.split-brain-resolver.keep-oldest.role"));
    assertTrue(c.getDuration("pekko.cluster.split-brain-resolver.stable-after").toSeconds() <= 5);
  }

  @Test
  void withWorkerProcessesTheServerIsNoWorker() {
    Settings s = new Settings(tmp.resolve("data"), "127.0.0.1", 0, "batchgrid", "", "local-process");
    assertEquals(List.of("coordinator", "api"),
        ServerConfig.forServer(s, ConfigFactory.load()).getStringList("pekko.cluster.roles"));
  }

  @Test
  void journalAndSnapshotsLiveInTheDataDirectory() {
    Config c = ServerConfig.forServer(settings(), ConfigFactory.load());
    assertEquals(tmp.resolve("data/journal").toString(), c.getString(ServerConfig.JOURNAL_DIR));
    assertEquals(tmp.resolve("data/snapshots").toString(), c.getString(ServerConfig.SNAPSHOT_DIR));
    assertEquals(tmp.resolve("data/sharding").toString(), c.getString(ServerConfig.SHARDING_DIR));
  }

  // --- a real one-node cluster with the LevelDB journal -------------------------------------

  /** Appends the text it is given; replies with everything appended so far. */
  private static final class Notes
      extends EventSourcedBehavior<Notes.Append, String, List<String>> {
    record Append(String text, ActorRef<List<String>> replyTo) {}

    static Behavior<Append> create(String id) {
      return new Notes(PersistenceId.ofUniqueId(id));
    }

    private Notes(PersistenceId id) {
      super(id);
    }

    @Override
    public List<String> emptyState() {
      return List.of();
    }

    @Override
    public CommandHandler<Append, String, List<String>> commandHandler() {
      return (state, cmd) -> cmd.text().isEmpty()
          ? Effect().none().thenReply(cmd.replyTo(), s -> s)
          : Effect().persist(cmd.text()).thenReply(cmd.replyTo(), s -> s);
    }

    @Override
    public EventHandler<List<String>, String> eventHandler() {
      return (state, event) -> {
        List<String> next = new ArrayList<>(state);
        next.add(event);
        return List.copyOf(next);
      };
    }
  }

  private static ActorTestKit startServerSystem(Settings settings) {
    ActorTestKit kit = ActorTestKit.create("batchgrid",
        ServerConfig.forServer(settings, ConfigFactory.load()));
    Cluster cluster = Cluster.get(kit.system());
    cluster.manager().tell(Join.create(cluster.selfMember().address()));
    TestProbe<Done> probe = kit.createTestProbe();
    probe.awaitAssert(Duration.ofSeconds(20), () -> {
      assertEquals(MemberStatus.up(), cluster.selfMember().status());
      return Done.done();
    });
    return kit;
  }

  @Test
  void aClusterOfOneJournalsToTheDataDirectoryAndRecovers() {
    Settings settings = settings();
    ActorTestKit first = startServerSystem(settings);
    try {
      assertEquals("batchgrid", first.system().name());
      TestProbe<List<String>> replies = first.createTestProbe();
      ActorRef<Notes.Append> notes = first.spawn(Notes.create("notes-1"));
      notes.tell(new Notes.Append("a", replies.getRef()));
      notes.tell(new Notes.Append("b", replies.getRef()));
      replies.expectMessage(List.of("a"));
      replies.expectMessage(List.of("a", "b"));
    } finally {
      first.shutdownTestKit();
    }
    assertTrue(Files.isDirectory(settings.dataDir().resolve("journal")));
    assertTrue(Files.exists(settings.dataDir().resolve("journal/CURRENT")), "a LevelDB database");

    ActorTestKit second = startServerSystem(settings);
    try {
      TestProbe<List<String>> replies = second.createTestProbe();
      ActorRef<Notes.Append> notes = second.spawn(Notes.create("notes-1"));
      notes.tell(new Notes.Append("", replies.getRef()));
      replies.expectMessage(Duration.ofSeconds(10), List.of("a", "b"));
    } finally {
      second.shutdownTestKit();
    }
  }
}
