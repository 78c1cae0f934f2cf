package io.batchgrid.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.batchgrid.config.JournalSettings;
import io.batchgrid.config.Settings;
import io.batchgrid.coordinator.CoordinatorRole;
import io.batchgrid.coordinator.job.JobEntity;
import io.batchgrid.protocol.job.JobSummary;
import io.batchgrid.protocol.job.TaskRecord;
import io.batchgrid.protocol.job.TaskState;
import io.batchgrid.protocol.spec.JobSpec;
import io.batchgrid.protocol.spec.TaskSpec;
import io.batchgrid.testing.PostgresServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The coordinator's entities on the PostgreSQL journal and snapshot store (a real, throwaway
 * PostgreSQL): the schema is created on start, a job's events and snapshots land in the database,
 * and a coordinator started afresh on it (another data directory: nothing local) recovers the job.
 */
class PostgresJournalTest {
  static PostgresServer pg;
  @TempDir Path tmp;

  @BeforeAll
  static void startPostgres() throws Exception {
    pg = PostgresServer.start();
  }

  @AfterAll
  static void stopPostgres() throws Exception {
    if (pg != null) {
      pg.close();
    }
  }

  private Config base(String url) {
    return ConfigFactory.parseMap(Map.of(
        JournalSettings.KIND, "postgres",
        JournalSettings.URL, url,
        JournalSettings.USER, PostgresServer.USER,
        // A busy machine may take longer than the default 10 s to stop a coordinator.
        "pekko.actor.testkit.typed.system-shutdown-default", "60s"), "test").withFallback(ConfigFactory.load());
  }

  private ActorTestKit coordinator(Config base, Path data) throws Exception {
    Settings settings = Settings.load(ConfigFactory.parseMap(Map.of(Settings.DATA_DIR, data.toString()), "test")
        .withFallback(base));
    PostgresSchema.create(JournalSettings.load(base));
    ActorTestKit kit = ActorTestKit.create("batchgrid",
        ServerConfig.forRoles(settings, base, List.of("coordinator", "worker"), List.of()));
    Cluster cluster = Cluster.get(kit.system());
    cluster.manager().tell(Join.create(cluster.selfMember().address()));
    TestProbe<Done> probe = kit.createTestProbe();
    probe.awaitAssert(Duration.ofSeconds(20), () -> {
      assertEquals(MemberStatus.up(), cluster.selfMember().status());
      return Done.done();
    });
    CoordinatorRole.start(kit.system(), settings);
    return kit;
  }

  @Test
  void theConfigUsesTheJdbcJournalAndDownsLikeSeveralCoordinators() {
    Config c = ServerConfig.forRoles(Settings.load(ConfigFactory.load()), base("jdbc:postgresql://db:5432/x"),
        List.of("coordinator"), List.of("pekko://batchgrid@10.0.0.1:25520"));
    assertEquals("jdbc-journal", c.getString("pekko.persistence.journal.plugin"));
    assertEquals("jdbc-snapshot-store", c.getString("pekko.persistence.snapshot-store.plugin"));
    assertEquals("jdbc:postgresql://db:5432/x", c.getString("pekko-persistence-jdbc.shared-databases.slick.db.url"));
    assertEquals("eventsourced", c.getString("pekko.cluster.sharding.remember-entities-store"));
    assertEquals(List.of("pekko://batchgrid@10.0.0.1:25520"), c.getStringList("pekko.cluster.seed-nodes"));
    assertEquals("", c.getString(ServerConfig.SBR_ROLE));
    assertTrue(c.getBoolean(ServerConfig.SBR_DOWN_IF_ALONE));
  }

  @Test
  void aJobIsJournaledAndSnapshottedInPostgresAndRecoveredByAFreshCoordinator() throws Exception {
    String url = pg.createDatabase("recovery");
    Config base = base(url);
    PostgresSchema.create(JournalSettings.load(base)); // twice: idempotent
    int tasks = 1_100;
    ActorTestKit first = coordinator(base, tmp.resolve("a"));
    try {
      JobSummary created = ask(first, r -> new JobEntity.Create(JobSpec.newBuilder().setId("pgjob")
          .setPoolId("nopool").setOnAllTasksComplete("noaction").build(), r));
      assertEquals("pgjob", created.spec().getId());
      for (int batch = 0; batch < tasks / 100; batch++) {
        List<TaskSpec> specs = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
          specs.add(TaskSpec.newBuilder().setId("t" + (batch * 100 + i)).setCommandLine("/bin/true").build());
        }
        List<JobEntity.AddTaskResult> results = ask(first, r -> new JobEntity.AddTasks(specs, r));
        assertTrue(results.stream().allMatch(x -> x.error() == null));
      }
    } finally {
      first.shutdownTestKit();
    }
    // JobCreated and one TasksAdded per 100 tasks.
    assertEquals(1 + tasks / 100, pg.queryLong("recovery",
        "SELECT count(*) FROM event_journal WHERE persistence_id = 'Job|pgjob'"));

    ActorTestKit second = coordinator(base, tmp.resolve("b"));
    try {
      TaskRecord last = ask(second, r -> new JobEntity.GetTask("t" + (tasks - 1), r));
      assertEquals(TaskState.ACTIVE, last.state());
      JobSummary summary = ask(second, JobEntity.Get::new);
      assertEquals(tasks, summary.taskCounts().active());
    } finally {
      second.shutdownTestKit();
    }
  }

  @Test
  void snapshotsGoToPostgresAndRecoveryStartsFromThem() throws Exception {
    String url = pg.createDatabase("snapshots");
    Config base = base(url);
    ActorTestKit first = coordinator(base, tmp.resolve("a"));
    try {
      TestProbe<List<String>> replies = first.createTestProbe();
      var tally = first.spawn(Tally.create("tally-1"));
      for (String s : List.of("a", "b", "c", "d", "e")) {
        tally.tell(new Tally.Add(s, replies.getRef()));
        replies.receiveMessage(Duration.ofSeconds(10));
      }
    } finally {
      first.shutdownTestKit();
    }
    assertEquals(1, pg.queryLong("snapshots", "SELECT count(*) FROM snapshot WHERE persistence_id = 'tally-1'"));
    ActorTestKit second = coordinator(base, tmp.resolve("b"));
    try {
      TestProbe<List<String>> replies = second.createTestProbe();
      second.spawn(Tally.create("tally-1")).tell(new Tally.Add("", replies.getRef()));
      assertEquals(List.of("a", "b", "c", "d", "e"), replies.receiveMessage(Duration.ofSeconds(10)));
    } finally {
      second.shutdownTestKit();
    }
  }

  /** Appends what it is told, snapshotting every third event; replies with everything so far. */
  private static final class Tally
      extends org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior<Tally.Add, String, List<String>> {
    record Add(String text, org.apache.pekko.actor.typed.ActorRef<List<String>> replyTo) {}

    static org.apache.pekko.actor.typed.Behavior<Add> create(String id) {
      return new Tally(org.apache.pekko.persistence.typed.PersistenceId.ofUniqueId(id));
    }

    private Tally(org.apache.pekko.persistence.typed.PersistenceId id) {
      super(id);
    }

    @Override
    public List<String> emptyState() {
      return List.of();
    }

    @Override
    public boolean shouldSnapshot(List<String> state, String event, long sequenceNr) {
      return sequenceNr % 3 == 0;
    }

    @Override
    public org.apache.pekko.persistence.typed.javadsl.CommandHandler<Add, String, List<String>> commandHandler() {
      return (state, cmd) -> cmd.text().isEmpty()
          ? Effect().none().thenReply(cmd.replyTo(), st -> st)
          : Effect().persist(cmd.text()).thenReply(cmd.replyTo(), st -> st);
    }

    @Override
    public org.apache.pekko.persistence.typed.javadsl.EventHandler<List<String>, String> eventHandler() {
      return (state, event) -> {
        List<String> next = new ArrayList<>(state);
        next.add(event);
        return List.copyOf(next);
      };
    }
  }

  private static <T> T ask(ActorTestKit kit,
      org.apache.pekko.japi.function.Function<org.apache.pekko.actor.typed.ActorRef<org.apache.pekko.pattern.StatusReply<T>>, JobEntity.Command> command)
      throws Exception {
    return org.apache.pekko.actor.typed.javadsl.AskPattern.askWithStatus(JobEntity.ref(kit.system(), "pgjob"),
        command, Duration.ofSeconds(20), kit.system().scheduler()).toCompletableFuture().get();
  }
}
