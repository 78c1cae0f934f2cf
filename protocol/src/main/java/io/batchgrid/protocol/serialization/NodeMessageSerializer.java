package io.batchgrid.protocol.serialization;

import java.io.NotSerializableException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializer;
import org.apache.pekko.serialization.SerializerWithStringManifest;
import org.apache.pekko.serialization.Serializers;
import org.apache.pekko.stream.SourceRef;
import org.apache.pekko.util.ByteString;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.UnsafeByteOperations;

import io.batchgrid.protocol.BatchException;
import io.batchgrid.protocol.ErrorCode;
import io.batchgrid.protocol.node.CoordinatorMessage;
import io.batchgrid.protocol.node.NodeFile;
import io.batchgrid.protocol.node.NodeMessage;
import io.batchgrid.protocol.node.NodeState;
import io.batchgrid.protocol.node.NodeStatus;
import io.batchgrid.protocol.node.StartTaskInfo;
import io.batchgrid.protocol.node.RunningTask;
import io.batchgrid.protocol.node.TaskLaunch;
import io.batchgrid.protocol.proto.BatchErrorP;
import io.batchgrid.protocol.proto.FetchPackageP;
import io.batchgrid.protocol.proto.FileContentP;
import io.batchgrid.protocol.proto.GetStatusP;
import io.batchgrid.protocol.proto.ListFilesP;
import io.batchgrid.protocol.proto.NodeFileListP;
import io.batchgrid.protocol.proto.PayloadListP;
import io.batchgrid.protocol.proto.NodeFileP;
import io.batchgrid.protocol.proto.NodeStatusP;
import io.batchgrid.protocol.proto.PackageContentP;
import io.batchgrid.protocol.proto.PayloadP;
import io.batchgrid.protocol.proto.ReadFileP;
import io.batchgrid.protocol.proto.RegisterNodeP;
import io.batchgrid.protocol.proto.RegisteredP;
import io.batchgrid.protocol.proto.StartTaskInfoP;
import io.batchgrid.protocol.proto.ReportAcceptedP;
import io.batchgrid.protocol.proto.RetireP;
import io.batchgrid.protocol.proto.RunTasksP;
import io.batchgrid.protocol.proto.RunningTaskP;
import io.batchgrid.protocol.proto.TaskLaunchP;
import io.batchgrid.protocol.proto.TaskOutcomeP;
import io.batchgrid.protocol.proto.TasksReportP;
import io.batchgrid.protocol.proto.TerminateTaskP;
import io.batchgrid.protocol.spec.NameValue;

/**
 * Writes the messages between the coordinator and compute nodes as Protobuf (schemas in node.proto):
 * every {@link NodeMessage} and {@link CoordinatorMessage}, the {@link NodeStatus} reply, and what
 * travels inside a {@code StatusReply} from a node: a {@code List<NodeFile>}, a
 * {@link NodeMessage.FileContent} (its {@code SourceRef} by Pekko's stream-ref serializer), a
 * {@link NodeMessage.PackageContent} (likewise), a {@link NodeMessage.UploadedLogs} and a
 * {@link BatchException}. Pekko serializes the {@code StatusReply} wrapper itself and hands its value or
 * error to the serializer bound here. Any other list (an entity's reply to the API: task results,
 * nodes, ids) is written element by element, each by the serializer Pekko binds to it.
 *
 * <p>The manifest names the message kind, not a Java class. Actor references are written with
 * {@link ActorRefResolver}, so they resolve to remote references on the other side.
 */
public final class NodeMessageSerializer extends SerializerWithStringManifest {
  static final String REGISTERED = "NR";
  static final String RUN_TASKS = "NT";
  static final String RUN_JOB_TASK = "NJ";
  static final String TERMINATE_TASK = "NK";
  static final String REPORT_ACCEPTED = "NA";
  static final String GET_STATUS = "NG";
  static final String LIST_FILES = "NL";
  static final String READ_FILE = "NF";
  static final String DELETE_FILE = "ND";
  static final String RETIRE = "NX";
  static final String REGISTER_AGAIN = "NW";
  static final String REBOOT = "NB";
  static final String UPLOAD_LOGS = "NU";
  static final String REGISTER_NODE = "CR";
  static final String TASKS_REPORT = "CT";
  static final String FETCH_PACKAGE = "CP";
  static final String PACKAGE_CONTENT = "RP";
  static final String UPLOADED_LOGS = "RU";
  static final String NODE_STATUS = "RS";
  static final String NODE_FILES = "RL";
  static final String FILE_CONTENT = "RF";
  static final String ANY_LIST = "RA";
  static final String BATCH_ERROR = "RE";

  private final ExtendedActorSystem system;
  /** Looked up on first use: extensions are not to be created while the serialization extension starts. */
  private volatile ActorRefResolver resolver;

  public NodeMessageSerializer(ExtendedActorSystem system) {
    this.system = system;
  }

  @Override
  public int identifier() {
    return 7302;
  }

  @Override
  public String manifest(Object o) {
    if (o instanceof NodeMessage m) {
      if (m instanceof NodeMessage.Registered) {
        return REGISTERED;
      } else if (m instanceof NodeMessage.RunTasks) {
        return RUN_TASKS;
      } else if (m instanceof NodeMessage.RunJobTask) {
        return RUN_JOB_TASK;
      } else if (m instanceof NodeMessage.TerminateTask) {
        return TERMINATE_TASK;
      } else if (m instanceof NodeMessage.ReportAccepted) {
        return REPORT_ACCEPTED;
      } else if (m instanceof NodeMessage.GetStatus) {
        return GET_STATUS;
      } else if (m instanceof NodeMessage.ListFiles) {
        return LIST_FILES;
      } else if (m instanceof NodeMessage.ReadFile) {
        return READ_FILE;
      } else if (m instanceof NodeMessage.DeleteFile) {
        return DELETE_FILE;
      } else if (m instanceof NodeMessage.Retire) {
        return RETIRE;
      } else if (m instanceof NodeMessage.RegisterAgain) {
        return REGISTER_AGAIN;
      } else if (m instanceof NodeMessage.Reboot) {
        return REBOOT;
      } else if (m instanceof NodeMessage.UploadLogs) {
        return UPLOAD_LOGS;
      }
    } else if (o instanceof CoordinatorMessage.RegisterNode) {
      return REGISTER_NODE;
    } else if (o instanceof CoordinatorMessage.TasksReport) {
      return TASKS_REPORT;
    } else if (o instanceof CoordinatorMessage.FetchPackage) {
      return FETCH_PACKAGE;
    } else if (o instanceof NodeMessage.PackageContent) {
      return PACKAGE_CONTENT;
    } else if (o instanceof NodeMessage.UploadedLogs) {
      return UPLOADED_LOGS;
    } else if (o instanceof NodeStatus) {
      return NODE_STATUS;
    } else if (o instanceof List<?> list && isNodeFiles(list)) {
      return NODE_FILES;
    } else if (o instanceof List<?>) {
      return ANY_LIST;
    } else if (o instanceof NodeMessage.FileContent) {
      return FILE_CONTENT;
    } else if (o instanceof BatchException) {
      return BATCH_ERROR;
    }
    throw new IllegalArgumentException("cannot serialize " + o.getClass());
  }

  @Override
  public byte[] toBinary(Object o) {
    return message(o).toByteArray();
  }

  private com.google.protobuf.MessageLite message(Object o) {
    if (o instanceof NodeMessage.Registered m) {
      RegisteredP.Builder b = RegisteredP.newBuilder().setPoolId(m.poolId()).setNodeId(m.nodeId())
          .addAllApplicationPackages(m.applicationPackages());
      if (m.startTask() != null) {
        b.setStartTask(m.startTask());
      }
      if (m.pool() != null) {
        b.setPool(ref(m.pool()));
      }
      return b.build();
    } else if (o instanceof NodeMessage.RunTasks m) {
      RunTasksP.Builder b = RunTasksP.newBuilder().setPoolId(m.poolId()).setJobId(m.jobId()).setReportTo(ref(m.reportTo()));
      m.tasks().forEach(t -> b.addTasks(launch(t)));
      return b.build();
    } else if (o instanceof NodeMessage.RunJobTask m) {
      return io.batchgrid.protocol.proto.RunJobTaskP.newBuilder().setPoolId(m.poolId()).setJobId(m.jobId())
          .setLaunch(launch(m.launch())).setReportTo(ref(m.reportTo())).build();
    } else if (o instanceof NodeMessage.TerminateTask m) {
      return TerminateTaskP.newBuilder().setJobId(m.jobId()).setTaskId(m.taskId()).setAttempt(m.attempt()).build();
    } else if (o instanceof NodeMessage.ReportAccepted m) {
      return ReportAcceptedP.newBuilder().setJobId(m.jobId()).setSeq(m.seq()).build();
    } else if (o instanceof NodeMessage.GetStatus m) {
      return GetStatusP.newBuilder().setReplyTo(ref(m.replyTo())).build();
    } else if (o instanceof NodeMessage.ListFiles m) {
      return ListFilesP.newBuilder().setPath(m.path()).setRecursive(m.recursive()).setReplyTo(ref(m.replyTo())).build();
    } else if (o instanceof NodeMessage.DeleteFile m) {
      return io.batchgrid.protocol.proto.DeleteFileP.newBuilder().setPath(m.path()).setRecursive(m.recursive())
          .setReplyTo(ref(m.replyTo())).build();
    } else if (o instanceof NodeMessage.ReadFile m) {
      return ReadFileP.newBuilder().setPath(m.path()).setOffset(m.offset()).setLength(m.length())
          .setReplyTo(ref(m.replyTo())).build();
    } else if (o instanceof NodeMessage.Retire) {
      return RetireP.getDefaultInstance();
    } else if (o instanceof NodeMessage.RegisterAgain) {
      return io.batchgrid.protocol.proto.RegisterAgainP.getDefaultInstance();
    } else if (o instanceof NodeMessage.Reboot m) {
      return io.batchgrid.protocol.proto.RebootP.newBuilder().setReimage(m.reimage()).build();
    } else if (o instanceof NodeMessage.UploadLogs m) {
      io.batchgrid.protocol.proto.UploadLogsP.Builder b = io.batchgrid.protocol.proto.UploadLogsP.newBuilder()
          .setContainerUrl(m.containerUrl()).setStartTimeMs(m.startTimeMs()).setReplyTo(ref(m.replyTo()));
      if (m.endTimeMs() != null) {
        b.setEndTimeMs(m.endTimeMs());
      }
      return b.build();
    } else if (o instanceof NodeMessage.UploadedLogs u) {
      return io.batchgrid.protocol.proto.UploadedLogsP.newBuilder().setVirtualDirectoryName(u.virtualDirectoryName())
          .setNumberOfFilesUploaded(u.numberOfFilesUploaded()).build();
    } else if (o instanceof CoordinatorMessage.RegisterNode m) {
      RegisterNodeP.Builder b = RegisterNodeP.newBuilder().setPoolId(m.poolId()).setNodeId(m.nodeId())
          .setTaskSlots(m.taskSlots()).setAgent(ref(m.agent()));
      m.running().forEach(r -> b.addRunning(running(r)));
      if (m.startTask() != null) {
        b.setStartTask(startTask(m.startTask()));
      }
      m.ended().forEach(r -> b.addEnded(running(r)));
      b.addAllLabels(m.labels());
      return b.build();
    } else if (o instanceof CoordinatorMessage.TasksReport m) {
      TasksReportP.Builder b = TasksReportP.newBuilder().setPoolId(m.poolId()).setNodeId(m.nodeId())
          .setJobId(m.jobId()).setSeq(m.seq()).setReplyTo(ref(m.replyTo()));
      m.outcomes().forEach(out -> b.addOutcomes(PersistenceSerializer.outcome(out)));
      return b.build();
    } else if (o instanceof CoordinatorMessage.FetchPackage m) {
      return FetchPackageP.newBuilder().setApplicationId(m.applicationId()).setVersion(m.version())
          .setWithContent(m.withContent()).setReplyTo(ref(m.replyTo())).build();
    } else if (o instanceof NodeMessage.PackageContent c) {
      PackageContentP.Builder b = PackageContentP.newBuilder().setApplicationId(c.applicationId())
          .setVersion(c.version()).setFormat(c.format()).setSize(c.size());
      if (c.data() != null) {
        b.setData(payload(c.data()));
      }
      return b.build();
    } else if (o instanceof NodeStatus s) {
      NodeStatusP.Builder b = NodeStatusP.newBuilder().setPoolId(s.poolId()).setNodeId(s.nodeId())
          .setState(s.state().name()).setTaskSlots(s.taskSlots()).setTotalTasksRun(s.totalTasksRun())
          .setTotalTasksSucceeded(s.totalTasksSucceeded()).setRunningTaskSlots(s.runningTaskSlots())
          .setStateTransitionTimeMs(s.stateTransitionTimeMs()).setRootDirectory(nz(s.rootDirectory()));
      s.running().forEach(r -> b.addRunning(running(r)));
      if (s.startTask() != null) {
        b.setStartTask(startTask(s.startTask()));
      }
      return b.build();
    } else if (o instanceof List<?> list && isNodeFiles(list)) {
      NodeFileListP.Builder b = NodeFileListP.newBuilder();
      list.forEach(f -> b.addFiles(file((NodeFile) f)));
      return b.build();
    } else if (o instanceof List<?> list) {
      PayloadListP.Builder b = PayloadListP.newBuilder();
      list.forEach(item -> b.addItems(nested(item)));
      return b.build();
    } else if (o instanceof NodeMessage.FileContent c) {
      return FileContentP.newBuilder().setFile(file(c.file())).setData(payload(c.data())).build();
    } else if (o instanceof BatchException e) {
      BatchErrorP.Builder b = BatchErrorP.newBuilder().setCode(e.code().name());
      if (e.getMessage() != null) {
        b.setMessage(e.getMessage());
      }
      e.values().forEach((k, v) -> b.addValues(NameValue.newBuilder().setName(k).setValue(v)));
      return b.build();
    }
    throw new IllegalArgumentException("cannot serialize " + o.getClass());
  }

  @Override
  public Object fromBinary(byte[] bytes, String manifest) throws NotSerializableException {
    try {
      switch (manifest) {
        case REGISTERED: {
          RegisteredP p = RegisteredP.parseFrom(bytes);
          return new NodeMessage.Registered(p.getPoolId(), p.getNodeId(), p.hasStartTask() ? p.getStartTask() : null,
              p.getApplicationPackagesList(), p.getPool().isEmpty() ? null : resolve(p.getPool()));
        }
        case RUN_TASKS: {
          RunTasksP p = RunTasksP.parseFrom(bytes);
          List<TaskLaunch> tasks = new ArrayList<>(p.getTasksCount());
          p.getTasksList().forEach(t -> tasks.add(launch(t)));
          return new NodeMessage.RunTasks(p.getPoolId(), p.getJobId(), tasks, resolve(p.getReportTo()));
        }
        case RUN_JOB_TASK: {
          io.batchgrid.protocol.proto.RunJobTaskP p = io.batchgrid.protocol.proto.RunJobTaskP.parseFrom(bytes);
          return new NodeMessage.RunJobTask(p.getPoolId(), p.getJobId(), launch(p.getLaunch()), resolve(p.getReportTo()));
        }
        case TERMINATE_TASK: {
          TerminateTaskP p = TerminateTaskP.parseFrom(bytes);
          return new NodeMessage.TerminateTask(p.getJobId(), p.getTaskId(), p.getAttempt());
        }
        case REPORT_ACCEPTED: {
          ReportAcceptedP p = ReportAcceptedP.parseFrom(bytes);
          return new NodeMessage.ReportAccepted(p.getJobId(), p.getSeq());
        }
        case GET_STATUS:
          return new NodeMessage.GetStatus(resolve(GetStatusP.parseFrom(bytes).getReplyTo()));
        case LIST_FILES: {
          ListFilesP p = ListFilesP.parseFrom(bytes);
          return new NodeMessage.ListFiles(p.getPath(), p.getRecursive(), resolve(p.getReplyTo()));
        }
        case DELETE_FILE: {
          io.batchgrid.protocol.proto.DeleteFileP p = io.batchgrid.protocol.proto.DeleteFileP.parseFrom(bytes);
          return new NodeMessage.DeleteFile(p.getPath(), p.getRecursive(), resolve(p.getReplyTo()));
        }
        case READ_FILE: {
          ReadFileP p = ReadFileP.parseFrom(bytes);
          return new NodeMessage.ReadFile(p.getPath(), p.getOffset(), p.getLength(), resolve(p.getReplyTo()));
        }
        case RETIRE:
          return new NodeMessage.Retire();
        case REGISTER_AGAIN:
          return new NodeMessage.RegisterAgain();
        case REBOOT:
          return new NodeMessage.Reboot(io.batchgrid.protocol.proto.RebootP.parseFrom(bytes).getReimage());
        case UPLOAD_LOGS: {
          io.batchgrid.protocol.proto.UploadLogsP p = io.batchgrid.protocol.proto.UploadLogsP.parseFrom(bytes);
          return new NodeMessage.UploadLogs(p.getContainerUrl(), p.getStartTimeMs(),
              p.hasEndTimeMs() ? p.getEndTimeMs() : null, resolve(p.getReplyTo()));
        }
        case UPLOADED_LOGS: {
          io.batchgrid.protocol.proto.UploadedLogsP p = io.batchgrid.protocol.proto.UploadedLogsP.parseFrom(bytes);
          return new NodeMessage.UploadedLogs(p.getVirtualDirectoryName(), p.getNumberOfFilesUploaded());
        }
        case REGISTER_NODE: {
          RegisterNodeP p = RegisterNodeP.parseFrom(bytes);
          return new CoordinatorMessage.RegisterNode(p.getPoolId(), p.getNodeId(), p.getTaskSlots(),
              resolve(p.getAgent()), runningList(p.getRunningList()), p.hasStartTask() ? startTask(p.getStartTask()) : null,
              runningList(p.getEndedList()), List.copyOf(p.getLabelsList()));
        }
        case TASKS_REPORT: {
          TasksReportP p = TasksReportP.parseFrom(bytes);
          List<io.batchgrid.protocol.job.TaskOutcome> outcomes = new ArrayList<>(p.getOutcomesCount());
          for (TaskOutcomeP out : p.getOutcomesList()) {
            outcomes.add(PersistenceSerializer.outcome(out));
          }
          return new CoordinatorMessage.TasksReport(p.getPoolId(), p.getNodeId(), p.getJobId(), p.getSeq(), outcomes,
              resolve(p.getReplyTo()));
        }
        case FETCH_PACKAGE: {
          FetchPackageP p = FetchPackageP.parseFrom(bytes);
          return new CoordinatorMessage.FetchPackage(p.getApplicationId(), p.getVersion(), p.getWithContent(),
              resolve(p.getReplyTo()));
        }
        case PACKAGE_CONTENT: {
          PackageContentP p = PackageContentP.parseFrom(bytes);
          return new NodeMessage.PackageContent(p.getApplicationId(), p.getVersion(), p.getFormat(), p.getSize(),
              p.hasData() ? sourceRef(p.getData()) : null);
        }
        case NODE_STATUS: {
          NodeStatusP p = NodeStatusP.parseFrom(bytes);
          return new NodeStatus(p.getPoolId(), p.getNodeId(), NodeState.valueOf(p.getState()), p.getTaskSlots(),
              runningList(p.getRunningList()), p.getTotalTasksRun(), p.getTotalTasksSucceeded(),
              p.getRunningTaskSlots(), p.getStateTransitionTimeMs(), p.getRootDirectory(),
              p.hasStartTask() ? startTask(p.getStartTask()) : null);
        }
        case NODE_FILES: {
          NodeFileListP p = NodeFileListP.parseFrom(bytes);
          List<NodeFile> files = new ArrayList<>(p.getFilesCount());
          p.getFilesList().forEach(f -> files.add(file(f)));
          return List.copyOf(files);
        }
        case ANY_LIST: {
          PayloadListP p = PayloadListP.parseFrom(bytes);
          List<Object> items = new ArrayList<>(p.getItemsCount());
          p.getItemsList().forEach(item -> items.add(nested(item)));
          return java.util.Collections.unmodifiableList(items);
        }
        case FILE_CONTENT: {
          FileContentP p = FileContentP.parseFrom(bytes);
          return new NodeMessage.FileContent(file(p.getFile()), sourceRef(p.getData()));
        }
        case BATCH_ERROR: {
          BatchErrorP p = BatchErrorP.parseFrom(bytes);
          Map<String, String> values = new LinkedHashMap<>();
          p.getValuesList().forEach(v -> values.put(v.getName(), v.getValue()));
          return new BatchException(errorCode(p.getCode()), p.hasMessage() ? p.getMessage() : null, values);
        }
        default:
          throw new NotSerializableException("unknown manifest " + manifest);
      }
    } catch (InvalidProtocolBufferException e) {
      NotSerializableException n = new NotSerializableException(manifest + ": " + e.getMessage());
      n.initCause(e);
      throw n;
    }
  }

  /** A list is a node's file listing if every element is a NodeFile (an empty listing too). */
  private static boolean isNodeFiles(List<?> list) {
    for (Object o : list) {
      if (!(o instanceof NodeFile)) {
        return false;
      }
    }
    return true;
  }

  /** A code this side does not know (a newer peer) still arrives as an error, an internal one. */
  private static ErrorCode errorCode(String name) {
    try {
      return ErrorCode.valueOf(name);
    } catch (IllegalArgumentException e) {
      return ErrorCode.INTERNAL_ERROR;
    }
  }

  // ---------------------------------------------------------------------------------- parts

  private static TaskLaunchP launch(TaskLaunch t) {
    TaskLaunchP.Builder b = TaskLaunchP.newBuilder().setJobId(t.jobId()).setTaskId(t.taskId()).setAttempt(t.attempt())
        .setSpec(t.spec()).addAllJobEnvironment(t.jobEnvironment()).setJobPreparationTaskId(t.jobPreparationTaskId());
    if (t.instance() != null) {
      b.setInstance(io.batchgrid.protocol.proto.InstanceP.newBuilder().setIndex(t.instance().index())
          .addAllHosts(t.instance().hosts()).setMasterNode(t.instance().masterNode())
          .setApplication(t.instance().application()));
    }
    return b.build();
  }

  private static TaskLaunch launch(TaskLaunchP p) {
    TaskLaunch.Instance instance = !p.hasInstance() ? null : new TaskLaunch.Instance(p.getInstance().getIndex(),
        p.getInstance().getHostsList(), p.getInstance().getMasterNode(), p.getInstance().getApplication());
    return new TaskLaunch(p.getJobId(), p.getTaskId(), p.getAttempt(), p.getSpec(), p.getJobEnvironmentList(),
        p.getJobPreparationTaskId(), instance);
  }

  private static RunningTaskP running(RunningTask r) {
    return RunningTaskP.newBuilder().setJobId(r.jobId()).setTaskId(r.taskId()).setAttempt(r.attempt())
        .setStartTimeMs(r.startTimeMs()).build();
  }

  private static List<RunningTask> runningList(List<RunningTaskP> list) {
    List<RunningTask> out = new ArrayList<>(list.size());
    list.forEach(p -> out.add(new RunningTask(p.getJobId(), p.getTaskId(), p.getAttempt(), p.getStartTimeMs())));
    return out;
  }

  private static StartTaskInfoP startTask(StartTaskInfo i) {
    StartTaskInfoP.Builder b = StartTaskInfoP.newBuilder().setState(i.state().name())
        .setWaitForSuccess(i.waitForSuccess()).setStartTimeMs(i.startTimeMs()).setEndTimeMs(i.endTimeMs())
        .setRetryCount(i.retryCount()).setLastRetryTimeMs(i.lastRetryTimeMs());
    if (i.exitCode() != null) {
      b.setExitCode(i.exitCode());
    }
    if (i.failureInfo() != null) {
      b.setFailureInfo(PersistenceSerializer.failure(i.failureInfo()));
    }
    return b.build();
  }

  private static StartTaskInfo startTask(StartTaskInfoP p) {
    return new StartTaskInfo(StartTaskInfo.State.valueOf(p.getState()), p.getWaitForSuccess(), p.getStartTimeMs(),
        p.getEndTimeMs(), p.hasExitCode() ? p.getExitCode() : null,
        p.hasFailureInfo() ? PersistenceSerializer.failure(p.getFailureInfo()) : null, p.getRetryCount(),
        p.getLastRetryTimeMs());
  }

  private static NodeFileP file(NodeFile f) {
    NodeFileP.Builder b = NodeFileP.newBuilder().setName(f.name()).setDirectory(f.directory()).setSize(f.size())
        .setCreationTimeMs(f.creationTimeMs()).setLastModifiedMs(f.lastModifiedMs());
    if (f.fileMode() != null) {
      b.setFileMode(f.fileMode());
    }
    return b.build();
  }

  private static NodeFile file(NodeFileP p) {
    return new NodeFile(p.getName(), p.getDirectory(), p.getSize(), p.getCreationTimeMs(), p.getLastModifiedMs(),
        p.hasFileMode() ? p.getFileMode() : null);
  }

  /** The stream reference goes by Pekko's own stream-ref serializer, nested here. */
  private PayloadP payload(SourceRef<ByteString> ref) {
    return nested(ref);
  }

  /** Anything, by the serializer Pekko binds to it. */
  private PayloadP nested(Object o) {
    Serialization serialization = SerializationExtension.get(system);
    Serializer serializer = serialization.findSerializerFor(o);
    return PayloadP.newBuilder().setSerializerId(serializer.identifier())
        .setManifest(Serializers.manifestFor(serializer, o))
        .setBytes(UnsafeByteOperations.unsafeWrap(serializer.toBinary(o))).build();
  }

  private Object nested(PayloadP p) {
    return SerializationExtension.get(system)
        .deserialize(p.getBytes().toByteArray(), p.getSerializerId(), p.getManifest()).get();
  }

  @SuppressWarnings("unchecked")
  private SourceRef<ByteString> sourceRef(PayloadP p) {
    return (SourceRef<ByteString>) SerializationExtension.get(system)
        .deserialize(p.getBytes().toByteArray(), p.getSerializerId(), p.getManifest()).get();
  }

  private String ref(ActorRef<?> ref) {
    return resolver().toSerializationFormat(ref);
  }

  private <T> ActorRef<T> resolve(String serialized) {
    return resolver().resolveActorRef(serialized);
  }

  private ActorRefResolver resolver() {
    ActorRefResolver r = resolver;
    if (r == null) {
      r = ActorRefResolver.get(Adapter.toTyped(system));
      resolver = r;
    }
    return r;
  }

  private static String nz(String s) {
    return s == null ? "" : s;
  }
}
