// Smoke test: the packaged server (cli/target/batchgrid.jar) driven by the official Azure Batch
// JavaScript SDK, @azure/batch 10.2.0 from npm (api-version 2022-10-01.16.0), over plain HTTP on
// loopback with SharedKey. Run with `node --test smoke.mjs` after the Maven build (scripts/test does).
//
// The checks run in order and share one server, one pool and one job. A check that depends on a
// failed one fails too (its message names what it was waiting for); nothing passes silently.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { BatchServiceClient, BatchSharedKeyCredentials } from "@azure/batch";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const jar = process.env.BATCHGRID_JAR || join(root, "cli/target/batchgrid.jar");
const accountName = "smokenpm";
const accountKey = randomBytes(64).toString("base64");

const poolId = "npm-smoke-pool";
const jobId = "npm-smoke-job";
const collectionSize = 20;
// Every fifth task of the collection exits with 3, so both results are seen.
const expectedExit = (i) => (i % 5 === 0 ? 3 : 0);
const collectionIds = Array.from({ length: collectionSize }, (_, i) => `t${String(i).padStart(2, "0")}`);

let server; // the java child process
let serverExit; // promise of { code, signal }
let serverLog = ""; // stdout + stderr, the last part is shown when something fails
let dataDir;
let client;

function logTail() {
  return serverLog.split("\n").slice(-40).join("\n");
}

function startServer() {
  if (!existsSync(jar)) {
    throw new Error(
      `${jar} is missing: build it first (scripts/test does, or: mvn -B -q -DskipTests package)`);
  }
  dataDir = mkdtempSync(join(tmpdir(), "batchgrid-npm-smoke-"));
  const args = [
    "-Djdk.lang.Process.launchMechanism=VFORK",
    "-Djava.util.concurrent.ForkJoinPool.common.parallelism=2",
    "-jar", jar, "server", "--data", dataDir, "--port", "0", "--bind", "127.0.0.1",
  ];
  server = spawn("java", args, {
    env: { ...process.env, BATCHGRID_ACCOUNT_NAME: accountName, BATCHGRID_ACCOUNT_KEY: accountKey },
    stdio: ["ignore", "pipe", "pipe"],
  });
  serverExit = new Promise((res) => server.on("exit", (code, signal) => res({ code, signal })));
  // If this process ends early (an uncaught error, Ctrl-C), take the server down with it.
  process.on("exit", () => { if (server.exitCode === null && server.signalCode === null) server.kill("SIGKILL"); });
  server.stderr.on("data", (d) => { serverLog += d; });
  return new Promise((res, rej) => {
    let out = "";
    const timer = setTimeout(() => rej(new Error(`server not ready after 90 s; its log:\n${logTail()}`)), 90_000);
    server.on("error", (e) => { clearTimeout(timer); rej(new Error(`cannot start java: ${e.message}`)); });
    server.on("exit", (code, signal) => {
      clearTimeout(timer);
      rej(new Error(`server exited before it was ready (code ${code}, signal ${signal}); its log:\n${logTail()}`));
    });
    server.stdout.on("data", (d) => {
      serverLog += d;
      out += d;
      const m = out.match(/batchgrid ready: api (https?:\/\/\S+)/);
      if (m) { clearTimeout(timer); res(m[1]); }
    });
  });
}

async function stopServer() {
  if (!server || server.exitCode !== null || server.signalCode !== null) return await serverExit;
  server.kill("SIGTERM");
  let timer;
  const timeout = new Promise((res) => { timer = setTimeout(() => res(null), 30_000); });
  const result = await Promise.race([serverExit, timeout]);
  clearTimeout(timer);
  if (result === null) {
    server.kill("SIGKILL");
    await serverExit;
    throw new Error(`server did not stop within 30 s of SIGTERM (killed); its log:\n${logTail()}`);
  }
  return result;
}

/** Calls read() until done(value) holds; fails with what it saw last. */
async function waitFor(what, read, done, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    last = await read();
    if (done(last)) return last;
    if (Date.now() > deadline) {
      assert.fail(`timed out after ${timeoutMs / 1000} s waiting for ${what}; last seen: ${JSON.stringify(last)}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Every page of a list operation, following odata.nextLink through listNext. */
async function listAll(firstPage, nextPage) {
  const items = [];
  let page = await firstPage();
  items.push(...page);
  while (page.odatanextLink) {
    page = await nextPage(page.odatanextLink);
    items.push(...page);
  }
  return items;
}

function assertDate(value, name) {
  assert.ok(value instanceof Date && !Number.isNaN(value.getTime()),
    `${name} should deserialize to a valid Date, got ${JSON.stringify(value)}`);
}

async function readStream(stream) {
  const chunks = [];
  for await (const c of stream) chunks.push(Buffer.from(c));
  return Buffer.concat(chunks).toString("utf8");
}

describe("batchgrid through @azure/batch 10.2.0", { concurrency: false }, () => {
  before(async () => {
    const url = await startServer();
    client = new BatchServiceClient(new BatchSharedKeyCredentials(accountName, accountKey), url);
  });

  after(async () => {
    try {
      await stopServer();
    } finally {
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    }
  });

  test("the SDK speaks api-version 2022-10-01.16.0", () => {
    assert.equal(client.apiVersion, "2022-10-01.16.0");
  });

  test("pool.add: 2 nodes × 2 slots; allocationState reaches steady with 2 dedicated nodes", async () => {
    const added = await client.pool.add({
      id: poolId,
      vmSize: "standard_d2s_v3",
      virtualMachineConfiguration: {
        imageReference: { publisher: "canonical", offer: "0001-com-ubuntu-server-jammy", sku: "22_04-lts" },
        nodeAgentSKUId: "batch.node.ubuntu 22.04",
      },
      targetDedicatedNodes: 2,
      taskSlotsPerNode: 2,
    });
    assert.equal(added._response.status, 201);
    const pool = await waitFor("pool allocationState steady",
      () => client.pool.get(poolId),
      (p) => p.allocationState === "steady" && p.currentDedicatedNodes === 2, 60_000);
    assert.equal(pool.id, poolId);
    assert.equal(pool.vmSize, "standard_d2s_v3");
    assert.equal(pool.taskSlotsPerNode, 2);
    assert.equal(pool.targetDedicatedNodes, 2);
    assert.equal(pool.virtualMachineConfiguration.nodeAgentSKUId, "batch.node.ubuntu 22.04");
    assertDate(pool.creationTime, "pool.creationTime");
    assertDate(pool.lastModified, "pool.lastModified");
    assert.ok(pool.eTag, "pool.eTag should be set");
    assert.equal((await client.pool.exists(poolId)).body, true, "pool.exists");

    const nodes = await listAll(() => client.computeNode.list(poolId), (l) => client.computeNode.listNext(l));
    assert.equal(nodes.length, 2, `computeNode.list: ${JSON.stringify(nodes.map((n) => n.id))}`);
  });

  test("job.add on the pool", async () => {
    const added = await client.job.add({ id: jobId, poolInfo: { poolId } });
    assert.equal(added._response.status, 201);
    const job = await client.job.get(jobId);
    assert.equal(job.id, jobId);
    assert.equal(job.poolInfo.poolId, poolId);
    assert.equal(job.state, "active");
    assertDate(job.creationTime, "job.creationTime");
  });

  test("task.add and task.addCollection of 20 tasks", async () => {
    const added = await client.task.add(jobId, {
      id: "hello",
      commandLine: '/bin/sh -c "echo hello from $AZ_BATCH_TASK_ID on $AZ_BATCH_NODE_ID"',
    });
    assert.equal(added._response.status, 201);

    const result = await client.task.addCollection(jobId, collectionIds.map((id, i) => ({
      id,
      commandLine: `/bin/sh -c "echo task ${id}; exit ${expectedExit(i)}"`,
    })));
    assert.equal(result.value.length, collectionSize);
    for (const r of result.value) {
      assert.equal(r.status, "success", `addCollection result for ${r.taskId}: ${JSON.stringify(r)}`);
    }
    assert.deepEqual(result.value.map((r) => r.taskId).sort(), [...collectionIds].sort());
  });

  test("all 21 tasks complete with the expected exit codes and results", async () => {
    const all = await waitFor("all tasks completed",
      () => listAll(() => client.task.list(jobId), (l) => client.task.listNext(l)),
      (ts) => ts.length === collectionSize + 1 && ts.every((t) => t.state === "completed"), 120_000);
    const byId = new Map(all.map((t) => [t.id, t]));
    const hello = byId.get("hello");
    assert.equal(hello.executionInfo.exitCode, 0);
    assert.equal(hello.executionInfo.result, "success");
    assertDate(hello.executionInfo.startTime, "hello.executionInfo.startTime");
    assertDate(hello.executionInfo.endTime, "hello.executionInfo.endTime");
    assert.ok(hello.nodeInfo && hello.nodeInfo.poolId === poolId, `hello.nodeInfo: ${JSON.stringify(hello.nodeInfo)}`);
    collectionIds.forEach((id, i) => {
      const t = byId.get(id);
      assert.ok(t, `task ${id} listed`);
      assert.equal(t.executionInfo.exitCode, expectedExit(i), `exit code of ${id}`);
      assert.equal(t.executionInfo.result, expectedExit(i) === 0 ? "success" : "failure", `result of ${id}`);
    });
    const one = await client.task.get(jobId, "t01");
    assert.equal(one.state, "completed");
    assert.equal(one.commandLine, '/bin/sh -c "echo task t01; exit 0"');
  });

  test("file.getFromTask reads stdout.txt", async () => {
    const file = await client.file.getFromTask(jobId, "hello", "stdout.txt");
    assert.equal(file._response.status, 200);
    const text = await readStream(file.readableStreamBody);
    assert.match(text, /^hello from hello on \S+\n$/);
    const props = await client.file.getPropertiesFromTask(jobId, "hello", "stdout.txt");
    assert.equal(props.contentLength, Buffer.byteLength(text), "contentLength of stdout.txt");
    assert.equal(props.ocpBatchFileIsdirectory, false);
    assertDate(props.lastModified, "stdout.txt lastModified");
  });

  test("task.list with $filter and $select", async () => {
    const completed = await listAll(
      () => client.task.list(jobId, { taskListOptions: { filter: "state eq 'completed'", select: "id,state" } }),
      (l) => client.task.listNext(l));
    assert.equal(completed.length, collectionSize + 1);
    assert.ok(completed.every((t) => t.state === "completed"));
    assert.equal(completed[0].commandLine, undefined, "$select=id,state leaves commandLine out");

    const failed = await listAll(
      () => client.task.list(jobId, { taskListOptions: { filter: "executionInfo/exitCode eq 3" } }),
      (l) => client.task.listNext(l));
    const expected = collectionIds.filter((_, i) => expectedExit(i) === 3);
    assert.deepEqual(failed.map((t) => t.id).sort(), expected);

    const paged = await client.task.list(jobId, { taskListOptions: { maxResults: 5 } });
    assert.equal(paged.length, 5, "maxResults=5");
    assert.ok(paged.odatanextLink, "a first page of 5 out of 21 has odata.nextLink");
    const rest = await listAll(async () => paged, (l) => client.task.listNext(l));
    assert.equal(new Set(rest.map((t) => t.id)).size, collectionSize + 1, "paging through listNext sees every task once");
  });

  test("job.getTaskCounts", async () => {
    const counts = await client.job.getTaskCounts(jobId);
    const failures = collectionIds.filter((_, i) => expectedExit(i) !== 0).length;
    assert.deepEqual(
      { ...counts.taskCounts },
      { active: 0, running: 0, completed: collectionSize + 1, succeeded: collectionSize + 1 - failures, failed: failures });
    assert.equal(counts.taskSlotCounts.completed, collectionSize + 1);
  });

  test("job.get with $expand=stats, job.getAllLifetimeStatistics and pool.getAllLifetimeStatistics", async () => {
    const failures = collectionIds.filter((_, i) => expectedExit(i) !== 0).length;
    const job = await client.job.get(jobId, { jobGetOptions: { expand: "stats" } });
    assert.equal(job.stats.numSucceededTasks, collectionSize + 1 - failures);
    assert.equal(job.stats.numFailedTasks, failures);
    assert.ok(job.stats.url.endsWith(`/jobs/${jobId}`), job.stats.url);
    // Documented by 2022-10-01.16.0, the api-version this SDK speaks; this job is the only one.
    const lifetime = await client.job.getAllLifetimeStatistics();
    assert.equal(lifetime.numSucceededTasks, collectionSize + 1 - failures);
    assert.equal(lifetime.numFailedTasks, failures);
    const pools = await client.pool.getAllLifetimeStatistics();
    assert.ok(pools.url.endsWith("/lifetimepoolstats"), pools.url);
    assert.ok(pools.lastUpdateTime instanceof Date, `lastUpdateTime: ${pools.lastUpdateTime}`);
  });

  test("a missing job is a RestError with code JobNotFound (404)", async () => {
    await assert.rejects(client.job.get("no-such-job"), (e) => {
      assert.equal(e.statusCode, 404, `statusCode: ${e.statusCode}`);
      assert.equal(e.code, "JobNotFound", `code: ${e.code}`);
      return true;
    });
  });

  test("the server stops on SIGTERM", async () => {
    const { code, signal } = await stopServer();
    assert.ok(code === 0 || signal === "SIGTERM" || code === 143,
      `server exit after SIGTERM: code ${code}, signal ${signal}; its log:\n${logTail()}`);
  });
});
