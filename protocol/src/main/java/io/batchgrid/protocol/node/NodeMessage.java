package io.batchgrid.protocol.node;

import java.util.List;

import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.stream.SourceRef;
import org.apache.pekko.util.ByteString;

import io.batchgrid.protocol.spec.ApplicationPackageReference;

/** Messages a compute node's agent accepts, from the coordinator and the API. */
public sealed interface NodeMessage {

  /**
   * The pool has accepted the node's registration. {@code startTask} is the pool's start task as
   * it is now, null when it has none: a node that has not run it since it (re)started runs it now.
   * {@code applicationPackages} are the pool's package references, which the node installs when it
   * joins (Azure: before any task runs there). {@code pool} is the pool entity that accepted it (null:
   * unknown): the node watches it and registers again when it stops, so that a pool that moves to
   * another coordinator (or restarts) learns the node and what it runs.
   */
  record Registered(String poolId, String nodeId, io.batchgrid.protocol.spec.StartTaskSpec startTask,
      List<ApplicationPackageReference> applicationPackages, ActorRef<?> pool) implements NodeMessage {
    public Registered {
      applicationPackages = List.copyOf(applicationPackages);
    }

    public Registered(String poolId, String nodeId, io.batchgrid.protocol.spec.StartTaskSpec startTask,
        List<ApplicationPackageReference> applicationPackages) {
      this(poolId, nodeId, startTask, applicationPackages, null);
    }

    public Registered(String poolId, String nodeId, io.batchgrid.protocol.spec.StartTaskSpec startTask) {
      this(poolId, nodeId, startTask, List.of(), null);
    }

    public Registered(String poolId, String nodeId) {
      this(poolId, nodeId, null, List.of(), null);
    }
  }

  /**
   * Register again, with what the node runs and what it has not been able to report: a job whose
   * entity restarted (it moved to another coordinator) waits for this to learn which of its
   * attempts live on, while the pool still knows the node from before.
   */
  record RegisterAgain() implements NodeMessage {}

  /** Run these attempts; report how each ends to {@code reportTo}. */
  record RunTasks(String poolId, String jobId, List<TaskLaunch> tasks, ActorRef<CoordinatorMessage> reportTo)
      implements NodeMessage {
    public RunTasks {
      tasks = List.copyOf(tasks);
    }
  }

  /**
   * Run a job's preparation or release task: at once, outside the node's task slots (a release task
   * runs after the job's tasks; a preparation task before any of them, while the job holds slots
   * of the node that wait for it). Its outcome is reported like a task's, under its own task id.
   */
  record RunJobTask(String poolId, String jobId, TaskLaunch launch, ActorRef<CoordinatorMessage> reportTo)
      implements NodeMessage {}

  /** Kill the attempt's process tree if it is still running; its outcome is reported as usual. */
  record TerminateTask(String jobId, String taskId, int attempt) implements NodeMessage {}

  /** The job has persisted the report numbered {@code seq}: the node may forget those outcomes. */
  record ReportAccepted(String jobId, long seq) implements NodeMessage {}

  record GetStatus(ActorRef<NodeStatus> replyTo) implements NodeMessage {}

  /**
   * Lists files under {@code path}, relative to the node's root directory. Fails with
   * {@code FileNotFound} when the path does not exist.
   */
  record ListFiles(String path, boolean recursive, ActorRef<StatusReply<List<NodeFile>>> replyTo)
      implements NodeMessage {}

  /** Streams a file's bytes from {@code offset}; {@code length} < 0 means to the end. */
  record ReadFile(String path, long offset, long length, ActorRef<StatusReply<FileContent>> replyTo)
      implements NodeMessage {}

  /**
   * Deletes the file or directory at {@code path}, relative to the node's root; a directory only
   * when empty unless {@code recursive}. Fails with {@code FileNotFound} when it does not exist.
   */
  record DeleteFile(String path, boolean recursive, ActorRef<StatusReply<org.apache.pekko.Done>> replyTo)
      implements NodeMessage {}

  /** A file's metadata and, for GET, its bytes as a stream that can cross nodes. */
  record FileContent(NodeFile file, SourceRef<ByteString> data) {}

  /**
   * An application package for a node, the reply to {@link CoordinatorMessage.FetchPackage}:
   * {@code version} is the one resolved (the default version when none was asked for), {@code
   * format} {@code zip} or {@code tar.gz}, and {@code data} its bytes, or null when only the
   * resolution was asked for.
   */
  record PackageContent(String applicationId, String version, String format, long size, SourceRef<ByteString> data) {}

  /** Leave the pool: kill what runs and stop. Unreported outcomes are dropped; the job requeues their tasks. */
  record Retire() implements NodeMessage {}

  /**
   * ComputeNode_Reboot / ComputeNode_Reimage: kill what runs (the pool has already told the jobs
   * what becomes of those tasks), with {@code reimage} delete the node's files but the agent's own
   * ({@code agent.*}), then stop: the node provider starts the node again, and its start task runs
   * again, as after an Azure node's reboot.
   */
  record Reboot(boolean reimage) implements NodeMessage {}

  /**
   * ComputeNode_UploadBatchServiceLogs: upload the agent's own files ({@code agent.*} in the node's
   * directory) that hold log lines in [{@code startTimeMs}, {@code endTimeMs}] ({@code endTimeMs}
   * null: no end) to the Blob container {@code containerUrl} (with a SAS granting write), under
   * a virtual directory of their own. Answered once the blobs are written.
   */
  record UploadLogs(String containerUrl, long startTimeMs, Long endTimeMs,
      ActorRef<StatusReply<UploadedLogs>> replyTo) implements NodeMessage {}

  /** The reply to {@link UploadLogs}: where the files went ({@code <pool>/<node>/<uuid>/}) and how many. */
  record UploadedLogs(String virtualDirectoryName, int numberOfFilesUploaded) {}
}
