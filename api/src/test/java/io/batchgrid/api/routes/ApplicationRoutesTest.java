package io.batchgrid.api.routes;

import static io.batchgrid.api.routes.ApiServerTest.V;
import static io.batchgrid.api.routes.ApiServerTest.value;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

/** The operator paths for application packages, the data-plane listing and the references that use them. */
class ApplicationRoutesTest {
  static TestServer server;
  static SignedClient client;

  @BeforeAll
  static void start() throws Exception {
    server = new TestServer(TestServer.NO_NODES);
    client = server.client();
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  /** The Azure error with its status and code (the full error shape is ApiServerTest's). */
  static JsonNode assertError(SignedClient.Reply r, int status, String code) {
    assertEquals(status, r.status(), r.text());
    assertEquals(code, r.json().get("code").textValue(), r.text());
    return r.json();
  }

  static byte[] zip() throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (ZipOutputStream z = new ZipOutputStream(out)) {
      z.putNextEntry(new ZipEntry("run.sh"));
      z.write("echo hi\n".getBytes());
    }
    return out.toByteArray();
  }

  static SignedClient.Reply put(String path, byte[] body, boolean sign) {
    return client.send("PUT", path, body, Map.of(), sign);
  }

  static String pool(String id, String refs) {
    return "{\"id\":\"" + id + "\",\"vmSize\":\"standard_d2s_v3\",\"targetDedicatedNodes\":0,"
        + "\"virtualMachineConfiguration\":{\"imageReference\":{\"publisher\":\"canonical\",\"offer\":\"ubuntu\"},"
        + "\"nodeAgentSKUId\":\"batch.node.ubuntu 22.04\"},\"applicationPackageReferences\":" + refs + "}";
  }

  @Test
  void uploadsAreSignedStoredAndListed() throws Exception {
    assertError(put("/batchgrid/applications/blender/versions/2.7?" + V, zip(), false), 403, "AuthenticationFailed");
    assertError(client.send("GET", "/applications/blender?" + V, null), 404, "ApplicationNotFound");

    SignedClient.Reply created = put("/batchgrid/applications/blender/versions/2.7?" + V + "&displayName=Blender", zip(), true);
    assertEquals(201, created.status(), created.text());
    assertEquals("zip", created.json().at("/packages/0/format").textValue());
    assertEquals(201, put("/batchgrid/applications/Blender/versions/2.8?" + V, zip(), true).status());
    assertError(put("/batchgrid/applications/blender/versions/2.8?" + V, zip(), true), 409, "ApplicationPackageExists");
    assertError(put("/batchgrid/applications/blender/versions/3?" + V, "{}".getBytes(), true), 400, "InvalidPropertyValue");
    assertError(put("/batchgrid/applications/blender/versions/.x?" + V, zip(), true), 400, "InvalidPropertyValue");
    assertError(put("/batchgrid/applications/blender/versions/4?" + V + "&default=maybe", zip(), true), 400,
        "InvalidQueryParameterValue");

    JsonNode list = client.send("GET", "/applications?" + V, null).json();
    JsonNode app = null;
    for (JsonNode a : list.get("value")) {
      app = a.get("id").textValue().equals("blender") ? a : app;
    }
    assertTrue(app != null, list.toString());
    assertEquals("blender", app.get("id").textValue());
    assertEquals("Blender", app.get("displayName").textValue());
    assertEquals("[\"2.7\",\"2.8\"]", app.get("versions").toString());
    JsonNode one = client.send("GET", "/applications/BLENDER?" + V, null).json();
    assertTrue(one.get("odata.metadata").textValue().endsWith("#applications/@Element"), one.toString());
    assertError(client.send("GET", "/applications/maya?" + V, null), 404, "ApplicationNotFound");

    // Default version: only one that exists.
    assertError(client.send("PATCH", "/batchgrid/applications/blender?" + V, "{\"defaultVersion\":\"9\"}"), 404,
        "ApplicationPackageNotFound");
    JsonNode patched = client.send("PATCH", "/batchgrid/applications/blender?" + V, "{\"defaultVersion\":\"2.8\"}").json();
    assertEquals("2.8", patched.get("defaultVersion").textValue());

    assertEquals(200, client.send("DELETE", "/batchgrid/applications/blender/versions/2.7?" + V, null).status());
    assertError(client.send("DELETE", "/batchgrid/applications/blender/versions/2.7?" + V, null), 404,
        "ApplicationPackageNotFound");
    assertEquals("[\"2.8\"]", client.send("GET", "/applications/blender?" + V, null).json().get("versions").toString());
  }

  @Test
  void poolReferencesMustResolveAndTaskReferencesAreKept() throws Exception {
    assertEquals(201, put("/batchgrid/applications/ffmpeg/versions/6.0?" + V, zip(), true).status());
    JsonNode noDefault = assertError(client.send("POST", "/pools?" + V, pool("p-nodefault",
        "[{\"applicationId\":\"ffmpeg\"}]")), 409, "InvalidApplicationPackageReferences");
    assertEquals("ffmpeg", value(noDefault, "ApplicationId"));
    assertError(client.send("POST", "/pools?" + V, pool("p-missing", "[{\"applicationId\":\"ffmpeg\",\"version\":\"5\"}]")),
        409, "InvalidApplicationPackageReferences");
    assertError(client.send("POST", "/pools?" + V, pool("p-badid", "[{\"applicationId\":\"a b\"}]")), 400,
        "InvalidPropertyValue");
    StringBuilder eleven = new StringBuilder("[");
    for (int i = 0; i < 11; i++) {
      eleven.append(i == 0 ? "" : ",").append("{\"applicationId\":\"ffmpeg\",\"version\":\"6.0\"}");
    }
    assertError(client.send("POST", "/pools?" + V, pool("p-eleven", eleven + "]")), 400, "InvalidPropertyValue");
    assertError(client.send("GET", "/pools/p-nodefault?" + V, null), 404, "PoolNotFound");

    // Azure's fully qualified id names the application by its last segment.
    String qualified = "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.Batch/batchAccounts/acct/applications/ffmpeg";
    assertEquals(201, client.send("POST", "/pools?" + V, pool("p-ok",
        "[{\"applicationId\":\"" + qualified + "\",\"version\":\"6.0\"}]")).status());
    JsonNode p = client.send("GET", "/pools/p-ok?" + V, null).json();
    assertEquals("[{\"applicationId\":\"ffmpeg\",\"version\":\"6.0\"}]", p.get("applicationPackageReferences").toString());

    assertEquals(201, client.send("POST", "/jobs?" + V, "{\"id\":\"j-apps\",\"poolInfo\":{\"poolId\":\"p-ok\"}}").status());
    // A task's references are checked on the node, as Azure does (a missing one fails the task there).
    assertEquals(201, client.send("POST", "/jobs/j-apps/tasks?" + V, "{\"id\":\"t1\",\"commandLine\":\"/bin/true\","
        + "\"applicationPackageReferences\":[{\"applicationId\":\"whatever\"}]}").status());
    assertEquals("[{\"applicationId\":\"whatever\"}]",
        client.send("GET", "/jobs/j-apps/tasks/t1?" + V, null).json().get("applicationPackageReferences").toString());
    JsonNode named = assertError(client.send("POST", "/jobs/j-apps/tasks?" + V, "{\"id\":\"t2\",\"commandLine\":\"/bin/true\","
        + "\"userIdentity\":{\"username\":\"alice\"}}"), 400, "FeatureNotSupported");
    assertTrue(value(named, "Reason").contains("userAccounts"), named.toString());
  }
}
