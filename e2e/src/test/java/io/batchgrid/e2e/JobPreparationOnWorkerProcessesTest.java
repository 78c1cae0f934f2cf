package io.batchgrid.e2e;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.microsoft.azure.batch.BatchClient;
import com.microsoft.azure.batch.auth.BatchSharedKeyCredentials;
import com.microsoft.azure.batch.protocol.models.ComputeNodeState;
import com.microsoft.azure.batch.protocol.models.JobAddParameter;
import com.microsoft.azure.batch.protocol.models.JobPatchParameter;
import com.microsoft.azure.batch.protocol.models.JobPreparationAndReleaseTaskExecutionInformation;
import com.microsoft.azure.batch.protocol.models.JobPreparationTask;
import com.microsoft.azure.batch.protocol.models.JobPreparationTaskState;
import com.microsoft.azure.batch.protocol.models.JobReleaseTask;
import com.microsoft.azure.batch.protocol.models.JobReleaseTaskState;
import com.microsoft.azure.batch.protocol.models.JobState;
import com.microsoft.azure.batch.protocol.models.OnAllTasksComplete;
import com.microsoft.azure.batch.protocol.models.PoolInformation;
import com.microsoft.azure.batch.protocol.models.TaskAddParameter;
import com.microsoft.azure.batch.protocol.models.TaskCounts;
import com.microsoft.azure.batch.protocol.models.TaskExecutionResult;

/**
 * Job preparation and release tasks on three worker processes (local-process nodes), driven by the
 * official SDK. Every command appends a line to one file, so the order in which they really ran can
 * be checked: on each node the preparation ran once, before the node's first task of the job; the
 * release ran after the job's tasks ended, on exactly the nodes that ran the preparation.
 */
class JobPreparationOnWorkerProcessesTest {
  private static final int TASKS = 24;

  @TempDir
  Path data;

  @TempDir
  Path shared;

  @Test
  void preparationBeforeEachNodesFirstTaskOnceAndReleaseAfterTheJobOnThoseNodes() throws Exception {
    Path log = shared.resolve("order.log");
    try (ServerProcess server = new ServerProcess(data).withArgs("--node-provider", "local-process").start()) {
      try {
        BatchClient client = BatchClient.open(new BatchSharedKeyCredentials(server.url(), ServerProcess.ACCOUNT, ServerProcess.KEY));
        Pools.create(client, "prep-pool", 3, 2);
        await().atMost(Duration.ofSeconds(120)).until(() -> client.computeNodeOperations().listComputeNodes("prep-pool")
            .stream().filter(n -> n.state() == ComputeNodeState.IDLE).count() == 3);

        long start = System.nanoTime();
        client.jobOperations().createJob(new JobAddParameter().withId("prep-job")
            .withPoolInfo(new PoolInformation().withPoolId("prep-pool"))
            .withJobPreparationTask(new JobPreparationTask()
                .withCommandLine("/bin/sh -c 'echo prep $AZ_BATCH_NODE_ID >> " + log + "; echo ready > prepared.txt'"))
            .withJobReleaseTask(new JobReleaseTask()
                .withCommandLine("/bin/sh -c 'echo release $AZ_BATCH_NODE_ID >> " + log + "'")));
        List<TaskAddParameter> tasks = new ArrayList<>();
        for (int i = 0; i < TASKS; i++) {
          // Fails unless the preparation's working directory is where Azure's variable says.
          tasks.add(new TaskAddParameter().withId(String.format("t%02d", i)).withCommandLine("/bin/sh -c '"
              + "test -f $AZ_BATCH_JOB_PREP_WORKING_DIR/prepared.txt || exit 3; "
              + "echo task $AZ_BATCH_NODE_ID $AZ_BATCH_TASK_ID >> " + log + "; sleep 0.3'"));
        }
        client.taskOperations().createTasks("prep-job", tasks);
        client.jobOperations().patchJob("prep-job", new JobPatchParameter().withOnAllTasksComplete(OnAllTasksComplete.TERMINATE_JOB));

        await().atMost(Duration.ofSeconds(180)).pollInterval(Duration.ofMillis(250)).until(() ->
            client.jobOperations().getJob("prep-job").state() == JobState.COMPLETED);
        double seconds = (System.nanoTime() - start) / 1e9;
        TaskCounts counts = client.jobOperations().getTaskCounts("prep-job");
        assertEquals(TASKS, counts.succeeded(), "every task found the preparation's files");

        List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
        Map<String, Integer> prepAt = new HashMap<>();
        Map<String, Integer> firstTaskAt = new HashMap<>();
        Map<String, Integer> releaseAt = new HashMap<>();
        int lastTaskAt = -1;
        Set<String> tasksRun = new TreeSet<>();
        for (int i = 0; i < lines.size(); i++) {
          String[] w = lines.get(i).split(" ");
          switch (w[0]) {
            case "prep" -> assertEquals(null, prepAt.put(w[1], i), "one preparation per node: " + lines);
            case "release" -> assertEquals(null, releaseAt.put(w[1], i), "one release per node: " + lines);
            case "task" -> {
              firstTaskAt.putIfAbsent(w[1], i);
              lastTaskAt = i;
              tasksRun.add(w[2]);
            }
            default -> throw new AssertionError("unexpected line " + lines.get(i));
          }
        }
        assertEquals(TASKS, tasksRun.size());
        firstTaskAt.forEach((node, at) -> assertTrue(prepAt.containsKey(node) && prepAt.get(node) < at,
            "the preparation ran on " + node + " before its first task: " + lines));
        assertEquals(prepAt.keySet(), releaseAt.keySet(), "the release ran exactly where the preparation ran");
        for (int at : releaseAt.values()) {
          assertTrue(at > lastTaskAt, "releases run after the job's tasks: " + lines);
        }

        List<JobPreparationAndReleaseTaskExecutionInformation> status =
            client.jobOperations().listPreparationAndReleaseTaskStatus("prep-job");
        assertEquals(prepAt.keySet(), new TreeSet<>(status.stream().map(JobPreparationAndReleaseTaskExecutionInformation::nodeId).toList()));
        for (JobPreparationAndReleaseTaskExecutionInformation s : status) {
          assertEquals("prep-pool", s.poolId());
          assertTrue(s.nodeUrl().endsWith("/pools/prep-pool/nodes/" + s.nodeId()), s.nodeUrl());
          assertEquals(JobPreparationTaskState.COMPLETED, s.jobPreparationTaskExecutionInfo().state());
          assertEquals(TaskExecutionResult.SUCCESS, s.jobPreparationTaskExecutionInfo().result());
          assertEquals(Integer.valueOf(0), s.jobPreparationTaskExecutionInfo().exitCode());
          assertEquals("workitems/prep-job/job-1/jobpreparation", s.jobPreparationTaskExecutionInfo().taskRootDirectory());
          assertEquals(JobReleaseTaskState.COMPLETED, s.jobReleaseTaskExecutionInfo().state());
          assertEquals(TaskExecutionResult.SUCCESS, s.jobReleaseTaskExecutionInfo().result());
          assertTrue(!s.jobReleaseTaskExecutionInfo().startTime().isBefore(s.jobPreparationTaskExecutionInfo().endTime()));
        }
        System.out.printf("job preparation and release on %d worker processes: %d tasks, %d preparations, %d releases,"
            + " job completed %.1f s after creation%n", 3, TASKS, prepAt.size(), releaseAt.size(), seconds);
      } finally {
        server.handle().descendants().forEach(ProcessHandle::destroyForcibly);
      }
    }
  }
}
