package io.batchgrid.e2e;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.microsoft.azure.batch.BatchClient;
import com.microsoft.azure.batch.auth.BatchSharedKeyCredentials;
import com.microsoft.azure.batch.protocol.models.CloudTask;
import com.microsoft.azure.batch.protocol.models.DependencyAction;
import com.microsoft.azure.batch.protocol.models.ExitConditions;
import com.microsoft.azure.batch.protocol.models.ExitOptions;
import com.microsoft.azure.batch.protocol.models.JobAction;
import com.microsoft.azure.batch.protocol.models.JobAddParameter;
import com.microsoft.azure.batch.protocol.models.JobState;
import com.microsoft.azure.batch.protocol.models.OnTaskFailure;
import com.microsoft.azure.batch.protocol.models.OutputFile;
import com.microsoft.azure.batch.protocol.models.OutputFileBlobContainerDestination;
import com.microsoft.azure.batch.protocol.models.OutputFileDestination;
import com.microsoft.azure.batch.protocol.models.OutputFileUploadCondition;
import com.microsoft.azure.batch.protocol.models.OutputFileUploadOptions;
import com.microsoft.azure.batch.protocol.models.PoolInformation;
import com.microsoft.azure.batch.protocol.models.ResourceFile;
import com.microsoft.azure.batch.protocol.models.TaskAddParameter;
import com.microsoft.azure.batch.protocol.models.TaskDependencies;
import com.microsoft.azure.batch.protocol.models.TaskState;

import com.sun.net.httpserver.HttpServer;

/**
 * The preProcessingError and fileUploadError exit conditions through the SDK: a resource file that
 * cannot be downloaded (404 from a real HTTP server) and an output file that cannot be uploaded
 * (403), each applying its own jobAction and dependencyAction.
 */
class ExitConditionsTest {
  @TempDir
  static Path data;
  static ServerProcess server;
  static BatchClient client;
  static HttpServer storage;

  @BeforeAll
  static void start() throws Exception {
    // Answers 404 to every GET (a missing blob) and 403 to every PUT (an upload refused).
    storage = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    storage.createContext("/", exchange -> {
      exchange.getRequestBody().readAllBytes();
      byte[] body = ("<Error><Code>" + ("GET".equals(exchange.getRequestMethod()) ? "BlobNotFound" : "AuthorizationFailure")
          + "</Code></Error>").getBytes();
      exchange.sendResponseHeaders("GET".equals(exchange.getRequestMethod()) ? 404 : 403, body.length);
      exchange.getResponseBody().write(body);
      exchange.close();
    });
    storage.start();
    server = new ServerProcess(data).start();
    client = BatchClient.open(new BatchSharedKeyCredentials(server.url(), ServerProcess.ACCOUNT, ServerProcess.KEY));
    Pools.create(client, "exit-pool", 1, 2);
  }

  @AfterAll
  static void stop() throws Exception {
    if (server != null) {
      server.close();
    }
    storage.stop(0);
  }

  private static String storageUrl(String path) {
    return "http://127.0.0.1:" + storage.getAddress().getPort() + path;
  }

  @Test
  void aFailedDownloadTerminatesTheJobThroughPreProcessingError() throws Exception {
    client.jobOperations().createJob(new JobAddParameter().withId("pre-job")
        .withPoolInfo(new PoolInformation().withPoolId("exit-pool"))
        .withOnTaskFailure(OnTaskFailure.PERFORM_EXIT_OPTIONS_JOB_ACTION));
    client.taskOperations().createTask("pre-job", new TaskAddParameter().withId("needs-input")
        .withCommandLine("/bin/true")
        .withResourceFiles(List.of(new ResourceFile().withHttpUrl(storageUrl("/container/missing.txt"))
            .withFilePath("missing.txt")))
        .withExitConditions(new ExitConditions()
            .withPreProcessingError(new ExitOptions().withJobAction(JobAction.TERMINATE))
            .withDefaultProperty(new ExitOptions().withJobAction(JobAction.NONE))));

    await().atMost(Duration.ofSeconds(60)).until(() -> client.jobOperations().getJob("pre-job").state() == JobState.COMPLETED);
    assertEquals("TaskFailed", client.jobOperations().getJob("pre-job").executionInfo().terminateReason());
    CloudTask t = client.taskOperations().getTask("pre-job", "needs-input");
    assertNull(t.executionInfo().exitCode(), "the command never ran");
    assertEquals("BlobNotFound", t.executionInfo().failureInfo().code());
  }

  @Test
  void aFailedUploadTakesFileUploadErrorAndItsDependencyAction() throws Exception {
    client.jobOperations().createJob(new JobAddParameter().withId("upload-job")
        .withPoolInfo(new PoolInformation().withPoolId("exit-pool"))
        .withUsesTaskDependencies(true)
        .withOnTaskFailure(OnTaskFailure.PERFORM_EXIT_OPTIONS_JOB_ACTION));
    OutputFile out = new OutputFile().withFilePattern("result.txt")
        .withDestination(new OutputFileDestination().withContainer(new OutputFileBlobContainerDestination()
            .withContainerUrl(storageUrl("/results?sv=2020-08-04&sig=secret"))))
        .withUploadOptions(new OutputFileUploadOptions().withUploadCondition(OutputFileUploadCondition.TASK_COMPLETION));
    client.taskOperations().createTasks("upload-job", List.of(
        new TaskAddParameter().withId("produces").withCommandLine("/bin/sh -c 'echo 42 > result.txt'")
            .withOutputFiles(List.of(out))
            // Without its own condition an upload failure would take default: terminate the job.
            .withExitConditions(new ExitConditions()
                .withFileUploadError(new ExitOptions().withJobAction(JobAction.NONE)
                    .withDependencyAction(DependencyAction.SATISFY))
                .withDefaultProperty(new ExitOptions().withJobAction(JobAction.TERMINATE))),
        new TaskAddParameter().withId("consumes").withCommandLine("/bin/true")
            .withDependsOn(new TaskDependencies().withTaskIds(List.of("produces")))));

    await().atMost(Duration.ofSeconds(60)).until(() ->
        client.taskOperations().getTask("upload-job", "consumes").state() == TaskState.COMPLETED);
    CloudTask produced = client.taskOperations().getTask("upload-job", "produces");
    assertEquals(0, produced.executionInfo().exitCode(), "the exit code stays");
    assertTrue(produced.executionInfo().failureInfo().code().startsWith("FileUpload"),
        produced.executionInfo().failureInfo().code());
    assertEquals(0, client.taskOperations().getTask("upload-job", "consumes").executionInfo().exitCode(),
        "dependencyAction satisfy released the dependent task");
    assertEquals(JobState.ACTIVE, client.jobOperations().getJob("upload-job").state(), "jobAction none");
  }
}
