package io.batchgrid.api.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.microsoft.azure.batch.protocol.models.CloudJob;
import com.microsoft.azure.batch.protocol.models.CloudPool;
import com.microsoft.azure.batch.protocol.models.CloudTask;
import com.microsoft.azure.batch.protocol.models.ComputeNode;
import com.microsoft.azure.batch.protocol.models.TaskCountsResult;
import com.microsoft.azure.batch.protocol.models.TaskState;
import com.microsoft.rest.serializer.JacksonAdapter;

import io.batchgrid.api.routes.ApiError;
import io.batchgrid.protocol.FailureInfo;
import io.batchgrid.protocol.job.JobState;
import io.batchgrid.protocol.job.JobSummary;
import io.batchgrid.protocol.job.TaskCounts;
import io.batchgrid.protocol.job.TaskRecord;
import io.batchgrid.protocol.node.NodeState;
import io.batchgrid.protocol.node.RunningTask;
import io.batchgrid.protocol.pool.AllocationState;
import io.batchgrid.protocol.pool.PoolRecord;
import io.batchgrid.protocol.pool.PoolState;
import io.batchgrid.protocol.spec.JobSpec;
import io.batchgrid.protocol.spec.PoolSpec;
import io.batchgrid.protocol.spec.TaskSpec;

class WireMappingTest {
  static final WireWriter W = new WireWriter("http://127.0.0.1:8280");
  static final JacksonAdapter SDK = new JacksonAdapter();
  static final long T0 = 1_704_067_200_123L;

  static ObjectNode json(String s) {
    return Json.parseObject(s.getBytes(StandardCharsets.UTF_8));
  }

  static <T> T sdk(JsonNode node, Class<T> type) throws Exception {
    return SDK.deserialize(node.toString(), type);
  }

  @Test
  void taskRoundTripAndTheSdkReadsIt() throws Exception {
    ObjectNode in = json("""
        {"id":"task-1","displayName":"first","commandLine":"/bin/sh -c 'echo hi'",
         "environmentSettings":[{"name":"A","value":"1"}],
         "resourceFiles":[{"httpUrl":"http://example/x","filePath":"in/x","fileMode":"0644"}],
         "outputFiles":[{"filePattern":"*.txt","destination":{"container":{"containerUrl":"http://c?sas","path":"out"}},
                         "uploadOptions":{"uploadCondition":"TaskCompletion"}}],
         "constraints":{"maxWallClockTime":"PT1H","maxTaskRetryCount":2},
         "dependsOn":{"taskIds":["a"],"taskIdRanges":[{"start":1,"end":3}]},
         "exitConditions":{"exitCodes":[{"code":3,"exitOptions":{"jobAction":"terminate"}}],"default":{"jobAction":"none"}},
         "affinityInfo":{"affinityId":"TVM:x"},
         "userIdentity":{"autoUser":{"scope":"task","elevationLevel":"admin"}},
         "someFutureProperty":{"ignored":true}}""");
    TaskSpec spec = SpecReader.task(in);
    assertEquals("taskcompletion", spec.getOutputFiles(0).getUploadCondition());
    assertEquals(3_600_000L, spec.getConstraints().getMaxWallClockTimeMs());
    assertEquals("{\"affinityId\":\"TVM:x\"}", spec.getAffinityInfoJson());

    TaskRecord running = new TaskRecord(spec, io.batchgrid.protocol.job.TaskState.COMPLETED,
        io.batchgrid.protocol.job.TaskState.RUNNING, T0, T0 + 2000, T0 + 1000, T0 + 2000, 4, 1, 1, 0, "tvmps_1_d",
        "workitems/job-1/job-1/task-1", T0 + 1000, T0 + 2000, 3,
        FailureInfo.user("FailureExitCode", "The task exited with an exit code representing a failure"), T0 + 500, 0);
    ObjectNode out = W.task("job-1", "pool-1", running);
    assertEquals("http://127.0.0.1:8280/jobs/job-1/tasks/task-1", out.get("url").textValue());
    assertEquals("failure", out.at("/executionInfo/result").textValue());
    assertEquals("workitems/job-1/job-1/task-1", out.at("/nodeInfo/taskRootDirectory").textValue());
    assertEquals("TVM:x", out.at("/affinityInfo/affinityId").textValue());
    assertFalse(out.has("someFutureProperty"));

    CloudTask task = sdk(out, CloudTask.class);
    assertEquals("task-1", task.id());
    assertEquals(TaskState.COMPLETED, task.state());
    assertEquals(T0, task.creationTime().getMillis());
    assertEquals(Integer.valueOf(3), task.executionInfo().exitCode());
    assertEquals(1, task.executionInfo().retryCount());
    assertEquals("PT1H", task.constraints().maxWallClockTime().toString());
    assertEquals("P7D", task.constraints().retentionTime().toString().replace("P1W", "P7D"));
    assertEquals("pool-1", task.nodeInfo().poolId());
    assertEquals(1, task.outputFiles().size());
    assertEquals(3, task.dependsOn().taskIdRanges().get(0).end());
  }

  @Test
  void aUserIdentityIsTheNamedUserElseTheAutoUserWithAzuresDefaults() {
    assertEquals("{\"autoUser\":{\"scope\":\"pool\",\"elevationLevel\":\"nonadmin\"}}",
        WireWriter.userIdentity(null).toString());
    assertEquals("{\"username\":\"alice\"}",
        WireWriter.userIdentity(io.batchgrid.protocol.spec.UserIdentity.newBuilder().setUserName("alice").build()).toString());
    assertEquals("{\"autoUser\":{\"scope\":\"task\",\"elevationLevel\":\"admin\"}}",
        WireWriter.userIdentity(io.batchgrid.protocol.spec.UserIdentity.newBuilder().setAutoUser(
            io.batchgrid.protocol.spec.AutoUser.newBuilder().setScope("task").setElevationLevel("admin")).build())
            .toString());
  }

  @Test
  void unboundedDurationsParseInTheSdk() throws Exception {
    TaskRecord active = TaskRecord.added(TaskSpec.newBuilder().setId("t").setCommandLine("true").build(), T0);
    CloudTask task = sdk(W.task("j", "p", active), CloudTask.class);
    assertNotNull(task.constraints().maxWallClockTime());
    assertEquals(0, task.executionInfo().retryCount());
  }

  @Test
  void poolJobNodeAndCountsParseInTheSdk() throws Exception {
    PoolSpec ps = SpecReader.pool(json("""
        {"id":"pool-1","vmSize":"STANDARD_D2S_V3","targetDedicatedNodes":2,"taskSlotsPerNode":4,
         "virtualMachineConfiguration":{"imageReference":{"publisher":"canonical","offer":"ubuntu","sku":"22_04-lts"},
                                        "nodeAgentSKUId":"batch.node.ubuntu 22.04"},
         "taskSchedulingPolicy":{"nodeFillType":"Pack"},"metadata":[{"name":"k","value":"v"}]}"""));
    assertEquals("standard_d2s_v3", ps.getVmSize());
    PoolRecord pr = new PoolRecord(ps, PoolState.ACTIVE, AllocationState.RESIZING, T0, T0, T0, T0, 1, 2, Map.of());
    ObjectNode pool = W.pool(pr, 0);
    assertEquals("batch.node.ubuntu 22.04", pool.at("/virtualMachineConfiguration/nodeAgentSKUId").textValue());
    CloudPool cp = sdk(pool, CloudPool.class);
    assertEquals(4, cp.taskSlotsPerNode());
    assertEquals("pack", cp.taskSchedulingPolicy().nodeFillType().toString());
    assertEquals("ubuntu", cp.virtualMachineConfiguration().imageReference().offer());
    assertEquals(null, cp.resizeErrors());

    PoolRecord timedOut = new PoolRecord(ps, PoolState.ACTIVE, AllocationState.STEADY, T0, T0, T0, T0, 2, 1, Map.of(),
        new PoolRecord.ResizeError("AllocationTimedout", "did not start in time"));
    CloudPool stopped = sdk(W.pool(timedOut, 1), CloudPool.class);
    assertEquals("AllocationTimedout", stopped.resizeErrors().get(0).code());
    assertEquals("steady", stopped.allocationState().toString());

    JobSpec js = SpecReader.job(json("""
        {"id":"job-1","poolInfo":{"poolId":"pool-1"},"priority":10,"onAllTasksComplete":"terminateJob",
         "constraints":{"maxTaskRetryCount":1}}"""));
    JobSummary summary = new JobSummary(js, JobState.COMPLETED, JobState.ACTIVE, T0, T0 + 5, T0, T0 + 5, 3, T0, T0 + 5,
        "AllTasksComplete", new TaskCounts(1, 2, 3, 2, 1), new TaskCounts(1, 2, 3, 2, 1));
    CloudJob job = sdk(W.job(summary), CloudJob.class);
    assertEquals("terminatejob", job.onAllTasksComplete().toString());
    assertEquals("AllTasksComplete", job.executionInfo().terminateReason());
    TaskCountsResult counts = sdk(W.taskCounts(summary.taskCounts(), summary.taskSlotCounts()), TaskCountsResult.class);
    assertEquals(2, counts.taskCounts().running());

    ObjectNode node = W.node(new WireWriter.NodeView("pool-1", "tvmps_1_d", "standard_d2s_v3", NodeState.RUNNING, T0, T0, T0,
        4, List.of(new RunningTask("job-1", "task-1", 1, T0)), 5, 4, 1));
    ComputeNode cn = sdk(node, ComputeNode.class);
    assertEquals("running", cn.state().toString());
    assertEquals(1, cn.recentTasks().size());
  }

  @Test
  void badInputNamesTheProperty() {
    ApiError wrongType = assertThrows(ApiError.class, () -> SpecReader.pool(json(
        "{\"id\":\"p\",\"vmSize\":\"x\",\"targetDedicatedNodes\":\"two\"}")));
    assertEquals("InvalidPropertyValue", wrongType.code());
    assertEquals("targetDedicatedNodes", wrongType.values().get("PropertyName"));
    assertEquals("two", wrongType.values().get("PropertyValue"));

    ApiError missing = assertThrows(ApiError.class, () -> SpecReader.task(json("{\"id\":\"t\"}")));
    assertEquals("MissingRequiredProperty", missing.code());
    assertEquals("commandLine", missing.values().get("PropertyName"));

    ApiError badId = assertThrows(ApiError.class, () -> SpecReader.job(json("{\"id\":\"a b\",\"poolInfo\":{\"poolId\":\"p\"}}")));
    assertEquals("InvalidPropertyValue", badId.code());

    ApiError auto = assertThrows(ApiError.class, () -> SpecReader.job(json(
        "{\"id\":\"j\",\"poolInfo\":{\"autoPoolSpecification\":{\"poolLifetimeOption\":\"job\"}}}")));
    assertEquals("FeatureNotSupported", auto.code());
    assertEquals(400, auto.status());

    ApiError slots = assertThrows(ApiError.class, () -> SpecReader.pool(json("{\"id\":\"p\",\"vmSize\":\"x\",\"taskSlotsPerNode\":0}")));
    assertTrue(slots.values().get("Reason").contains("between 1 and 256"));

    ApiError malformed = assertThrows(ApiError.class, () -> Json.parseObject("{\"id\":".getBytes(StandardCharsets.UTF_8)));
    assertEquals("InvalidRequestBody", malformed.code());
  }
}
