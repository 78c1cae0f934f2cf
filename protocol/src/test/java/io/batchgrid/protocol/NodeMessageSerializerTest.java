package io.batchgrid.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializer;
import org.apache.pekko.serialization.Serializers;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.SourceRef;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.javadsl.StreamRefs;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;

import io.batchgrid.protocol.job.TaskOutcome;
import io.batchgrid.protocol.node.CoordinatorMessage;
import io.batchgrid.protocol.node.NodeFile;
import io.batchgrid.protocol.node.NodeMessage;
import io.batchgrid.protocol.node.NodeState;
import io.batchgrid.protocol.node.NodeStatus;
import io.batchgrid.protocol.node.RunningTask;
import io.batchgrid.protocol.node.StartTaskInfo;
import io.batchgrid.protocol.node.TaskLaunch;
import io.batchgrid.protocol.serialization.NodeMessageSerializer;
import io.batchgrid.protocol.spec.ApplicationPackageReference;
import io.batchgrid.protocol.spec.NameValue;
import io.batchgrid.protocol.spec.TaskConstraints;
import io.batchgrid.protocol.spec.TaskSpec;

/**
 * Every coordinator↔node message and reply goes through the Protobuf node serializer and back
 * unchanged, and the replies a node gives in a StatusReply (file listing, file content with its
 * stream, a BatchException) really cross between two ActorSystems over Artery.
 */
class NodeMessageSerializerTest {
  private static final Config REMOTE = ConfigFactory.parseString(
      "pekko.actor.provider = cluster\n"
          + "pekko.cluster.jmx.multi-mbeans-in-same-jvm = on\n"
          + "pekko.remote.artery.canonical.hostname = 127.0.0.1\n"
          + "pekko.remote.artery.canonical.port = 0\n").withFallback(ConfigFactory.load());

  private static final ActorTestKit coordinator = ActorTestKit.create("coordinator", REMOTE);
  private static final ActorTestKit worker = ActorTestKit.create("worker", REMOTE);
  private static final Serialization serialization = SerializationExtension.get(coordinator.system().classicSystem());

  @AfterAll
  static void shutdown() {
    coordinator.shutdownTestKit();
    worker.shutdownTestKit();
  }

  static final TaskSpec TASK = TaskSpec.newBuilder().setId("t1").setCommandLine("/bin/sh -c 'echo hi'")
      .setRequiredSlots(2)
      .addEnvironmentSettings(NameValue.newBuilder().setName("X").setValue("1"))
      .setConstraints(TaskConstraints.newBuilder().setMaxTaskRetryCount(2).setMaxWallClockTimeMs(60_000)).build();
  static final io.batchgrid.protocol.spec.StartTaskSpec START_TASK = io.batchgrid.protocol.spec.StartTaskSpec.newBuilder()
      .setCommandLine("/bin/sh -c 'echo ready'").setWaitForSuccess(true).setMaxTaskRetryCount(2)
      .addEnvironmentSettings(NameValue.newBuilder().setName("S").setValue("1")).build();
  static final StartTaskInfo FAILED_START = new StartTaskInfo(StartTaskInfo.State.COMPLETED, true, 100, 200, 3,
      FailureInfo.user("FailureExitCode", "failed"), 2, 150);
  static final NodeFile FILE = new NodeFile("workitems/j/job-1/t1/stdout.txt", false, 42, 1000, 2000, "0644");
  static final NodeFile DIR = new NodeFile("workitems", true, 0, 1000, 2000, null);

  /** One instance of every message kind, by class; a new NodeMessage or CoordinatorMessage without one fails the test. */
  private static Map<Class<?>, Object> samples() {
    ActorRef<NodeMessage> agent = coordinator.<NodeMessage>createTestProbe().ref();
    ActorRef<CoordinatorMessage> gateway = coordinator.<CoordinatorMessage>createTestProbe().ref();
    Map<Class<?>, Object> s = new LinkedHashMap<>();
    s.put(NodeMessage.Registered.class, new NodeMessage.Registered("Pool1", "tvm-1", START_TASK, List.of(
        ApplicationPackageReference.newBuilder().setApplicationId("blender").setVersion("2.7").build(),
        ApplicationPackageReference.newBuilder().setApplicationId("ffmpeg").build()),
        coordinator.<Object>createTestProbe().ref()));
    s.put(NodeMessage.RegisterAgain.class, new NodeMessage.RegisterAgain());
    s.put(NodeMessage.RunTasks.class, new NodeMessage.RunTasks("pool1", "job1", List.of(
        new TaskLaunch("job1", "t1", 3, TASK, List.of(NameValue.newBuilder().setName("J").setValue("v").build())),
        new TaskLaunch("job1", "t2", 1, TaskSpec.newBuilder().setId("t2").setCommandLine("/bin/true").build(), List.of()),
        new TaskLaunch("job1", "mpi", 2, TaskSpec.newBuilder().setId("mpi").setCommandLine("mpiexec ./a.out").build(), List.of(), "",
            new TaskLaunch.Instance(1, List.of("127.0.0.1", "127.0.0.1"), "127.0.0.1:6000", false))),
        gateway));
    s.put(NodeMessage.RunJobTask.class, new NodeMessage.RunJobTask("pool1", "job1",
        new TaskLaunch("job1", "jobpreparation", 2, TASK, List.of(), "jobpreparation"), gateway));
    s.put(NodeMessage.TerminateTask.class, new NodeMessage.TerminateTask("job1", "t1", 3));
    s.put(NodeMessage.ReportAccepted.class, new NodeMessage.ReportAccepted("job1", 17));
    s.put(NodeMessage.GetStatus.class, new NodeMessage.GetStatus(coordinator.<NodeStatus>createTestProbe().ref()));
    s.put(NodeMessage.ListFiles.class, new NodeMessage.ListFiles("workitems", true,
        coordinator.<StatusReply<List<NodeFile>>>createTestProbe().ref()));
    s.put(NodeMessage.ReadFile.class, new NodeMessage.ReadFile("shared/x", 10, -1,
        coordinator.<StatusReply<NodeMessage.FileContent>>createTestProbe().ref()));
    s.put(NodeMessage.DeleteFile.class, new NodeMessage.DeleteFile("workitems/j/job-1/t1/wd", true,
        coordinator.<StatusReply<org.apache.pekko.Done>>createTestProbe().ref()));
    s.put(NodeMessage.Retire.class, new NodeMessage.Retire());
    s.put(NodeMessage.Reboot.class, new NodeMessage.Reboot(true));
    s.put(NodeMessage.UploadLogs.class, new NodeMessage.UploadLogs("https://acct.blob.core.windows.net/logs?sv=x&sig=y",
        1_700_000_000_000L, 1_700_000_360_000L, coordinator.<StatusReply<NodeMessage.UploadedLogs>>createTestProbe().ref()));
    s.put(CoordinatorMessage.RegisterNode.class, new CoordinatorMessage.RegisterNode("pool1", "tvm-1", 4, agent,
        List.of(new RunningTask("job1", "t1", 2, 123), new RunningTask("job2", "t9", 1, 0)), FAILED_START,
        List.of(new RunningTask("job1", "t0", 1, 100)), List.of("gpu", "linux")));
    s.put(CoordinatorMessage.TasksReport.class, new CoordinatorMessage.TasksReport("pool1", "tvm-1", "job1", 5, List.of(
        new TaskOutcome("t1", 2, 0, 100, 200, null),
        new TaskOutcome("t2", 1, null, 100, 100, FailureInfo.user("InsufficientTaskSlots", "too many")),
        new TaskOutcome("t3", 1, 137, 100, 300, FailureInfo.server("TaskEnded", "killed")),
        new TaskOutcome("mpi", 2, 0, 100, 300, null, 1)), agent));
    s.put(CoordinatorMessage.FetchPackage.class, new CoordinatorMessage.FetchPackage("blender", "", true,
        coordinator.<StatusReply<NodeMessage.PackageContent>>createTestProbe().ref()));
    return s;
  }

  @Test
  void everyNodeAndCoordinatorMessageRoundTrips() throws Exception {
    Map<Class<?>, Object> samples = samples();
    List<Class<?>> kinds = new ArrayList<>();
    kinds.addAll(List.of(NodeMessage.class.getPermittedSubclasses()));
    kinds.addAll(List.of(CoordinatorMessage.class.getPermittedSubclasses()));
    for (Class<?> kind : kinds) {
      assertTrue(samples.containsKey(kind), "no serialization sample for " + kind.getName()
          + ": add it to node.proto, NodeMessageSerializer and this test");
    }
    for (Object message : samples.values()) {
      assertEquals(message, roundTrip(message));
    }
  }

  @Test
  void repliesRoundTrip() throws Exception {
    NodeStatus status = new NodeStatus("pool1", "tvm-1", NodeState.RUNNING, 2,
        List.of(new RunningTask("job1", "t1", 1, 5)), 10, 9, 1, 777, "/data/nodes/tvm-1");
    assertEquals(status, roundTrip(status));
    NodeStatus starting = new NodeStatus("pool1", "tvm-1", NodeState.WAITINGFORSTARTTASK, 2, List.of(), 0, 0, 0, 777,
        "/n", StartTaskInfo.started(true, 500).attemptEnded(1, null, 600, false).retried(700));
    assertEquals(starting, roundTrip(starting));
    assertEquals(new NodeMessage.Registered("p", "n"), roundTrip(new NodeMessage.Registered("p", "n")));
    assertEquals(List.of(FILE, DIR), roundTrip(List.of(FILE, DIR)));
    assertEquals(List.of(), roundTrip(List.of()));
    NodeMessage.UploadLogs noEnd = new NodeMessage.UploadLogs("http://127.0.0.1:10000/devstoreaccount1/logs", 5, null,
        coordinator.<StatusReply<NodeMessage.UploadedLogs>>createTestProbe().ref());
    assertEquals(noEnd, roundTrip(noEnd));
    NodeMessage.UploadedLogs uploaded = new NodeMessage.UploadedLogs("pool1/tvm-1/0f8fad5b-d9cb-469f-a165-70867728950e/", 2);
    assertEquals(uploaded, roundTrip(uploaded));
    assertEquals(StatusReply.success(uploaded), viaSystem(StatusReply.success(uploaded)));

    BatchException e = BatchException.of(ErrorCode.FILE_NOT_FOUND, "The specified file does not exist.",
        "FilePath", "shared/x", "Reason", "gone");
    BatchException back = (BatchException) roundTrip(e);
    assertEquals(e.code(), back.code());
    assertEquals(e.getMessage(), back.getMessage());
    assertEquals(e.values(), back.values());

    // StatusReply is Pekko's (pekko-misc); its value and error go by the bindings above.
    assertEquals(StatusReply.success(List.of(FILE)), viaSystem(StatusReply.success(List.of(FILE))));
    StatusReply<?> error = (StatusReply<?>) viaSystem(StatusReply.error(e));
    assertEquals(ErrorCode.FILE_NOT_FOUND, ((BatchException) error.getError()).code());
  }

  @Test
  void fileContentKeepsItsStreamReference() throws Exception {
    SourceRef<ByteString> ref = Source.single(ByteString.fromString("bytes"))
        .runWith(StreamRefs.sourceRef(), Materializer.matFromSystem(coordinator.system()));
    NodeMessage.FileContent content = new NodeMessage.FileContent(FILE, ref);
    NodeMessage.FileContent back = (NodeMessage.FileContent) roundTrip(content);
    assertEquals(content.file(), back.file());
    assertEquals(content.data(), back.data());
  }

  @Test
  void packageContentKeepsItsStreamReferenceOrNone() throws Exception {
    SourceRef<ByteString> ref = Source.single(ByteString.fromString("PK"))
        .runWith(StreamRefs.sourceRef(), Materializer.matFromSystem(coordinator.system()));
    NodeMessage.PackageContent content = new NodeMessage.PackageContent("blender", "2.7", "zip", 2, ref);
    assertEquals(content, roundTrip(content));
    NodeMessage.PackageContent resolved = new NodeMessage.PackageContent("blender", "2.7", "tar.gz", 9, null);
    assertEquals(resolved, roundTrip(resolved));
  }

  /** A node's replies travel from one ActorSystem to another: listing, status, file bytes, errors. */
  @Test
  void repliesCrossActorSystems() throws Exception {
    ActorRef<NodeMessage> node = worker.spawn(fakeNode(), "node");
    String address = ActorRefResolver.get(worker.system()).toSerializationFormat(node);
    ActorRef<NodeMessage> remote = ActorRefResolver.get(coordinator.system()).resolveActorRef(address);
    assertNotEquals(worker.system().address(), coordinator.system().address());
    Duration timeout = Duration.ofSeconds(10);

    List<NodeFile> files = AskPattern.<NodeMessage, StatusReply<List<NodeFile>>>ask(remote,
        r -> new NodeMessage.ListFiles("", false, r), timeout, coordinator.scheduler())
        .toCompletableFuture().get(15, TimeUnit.SECONDS).getValue();
    assertEquals(List.of(FILE, DIR), files);

    NodeStatus status = AskPattern.<NodeMessage, NodeStatus>ask(remote, NodeMessage.GetStatus::new, timeout,
        coordinator.scheduler()).toCompletableFuture().get(15, TimeUnit.SECONDS);
    assertEquals("tvm-1", status.nodeId());

    NodeMessage.FileContent content = AskPattern.<NodeMessage, StatusReply<NodeMessage.FileContent>>ask(remote,
        r -> new NodeMessage.ReadFile("stdout.txt", 0, -1, r), timeout, coordinator.scheduler())
        .toCompletableFuture().get(15, TimeUnit.SECONDS).getValue();
    assertEquals(FILE, content.file());
    ByteString bytes = content.data().getSource()
        .runWith(Sink.fold(ByteString.emptyByteString(), ByteString::concat), Materializer.matFromSystem(coordinator.system()))
        .toCompletableFuture().get(15, TimeUnit.SECONDS);
    assertEquals("hello from the node", bytes.utf8String());

    StatusReply<NodeMessage.FileContent> missing = AskPattern.<NodeMessage, StatusReply<NodeMessage.FileContent>>ask(
        remote, r -> new NodeMessage.ReadFile("missing", 0, -1, r), timeout, coordinator.scheduler())
        .toCompletableFuture().get(15, TimeUnit.SECONDS);
    BatchException error = assertInstanceOf(BatchException.class, missing.getError());
    assertEquals(ErrorCode.FILE_NOT_FOUND, error.code());
    assertEquals(Map.of("FilePath", "missing"), error.values());

    // An unexpected failure has no binding: it still arrives as an error (Pekko's stand-in), not as silence.
    StatusReply<List<NodeFile>> broken = AskPattern.<NodeMessage, StatusReply<List<NodeFile>>>ask(remote,
        r -> new NodeMessage.ListFiles("broken", false, r), timeout, coordinator.scheduler())
        .toCompletableFuture().get(15, TimeUnit.SECONDS);
    assertTrue(broken.isError());
    assertNotNull(broken.getError().getMessage());
  }

  private static Behavior<NodeMessage> fakeNode() {
    return Behaviors.setup(ctx -> {
      Materializer mat = Materializer.matFromSystem(ctx.getSystem());
      return Behaviors.receiveMessage(m -> {
        if (m instanceof NodeMessage.ListFiles l) {
          l.replyTo().tell(l.path().equals("broken")
              ? StatusReply.error(new IllegalStateException("disk on fire"))
              : StatusReply.success(List.of(FILE, DIR)));
        } else if (m instanceof NodeMessage.GetStatus g) {
          g.replyTo().tell(new NodeStatus("pool1", "tvm-1", NodeState.IDLE, 1, List.of(), 0, 0, 0, 1, "/n"));
        } else if (m instanceof NodeMessage.ReadFile r) {
          if (r.path().equals("missing")) {
            r.replyTo().tell(StatusReply.error(BatchException.of(ErrorCode.FILE_NOT_FOUND, "no such file", "FilePath", "missing")));
          } else {
            SourceRef<ByteString> data = Source.single(ByteString.fromString("hello from the node"))
                .runWith(StreamRefs.sourceRef(), mat);
            r.replyTo().tell(StatusReply.success(new NodeMessage.FileContent(FILE, data)));
          }
        }
        return Behaviors.same();
      });
    });
  }

  private static Object roundTrip(Object o) throws Exception {
    Serializer serializer = serialization.findSerializerFor(o);
    assertInstanceOf(NodeMessageSerializer.class, serializer, "bound: " + o.getClass());
    byte[] bytes = serialization.serialize(o).get();
    String manifest = Serializers.manifestFor(serializer, o);
    return serialization.deserialize(bytes, serializer.identifier(), manifest).get();
  }

  private static Object viaSystem(Object o) throws Exception {
    Serializer serializer = serialization.findSerializerFor(o);
    byte[] bytes = serialization.serialize(o).get();
    return serialization.deserialize(bytes, serializer.identifier(), Serializers.manifestFor(serializer, o)).get();
  }
}
