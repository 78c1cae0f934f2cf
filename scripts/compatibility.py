#!/usr/bin/env python3
"""Writes docs/compatibility.md: every operation of the Azure Batch data-plane specification and its
status in batchgrid.

    scripts/compatibility.py [path/to/BatchService-2024-07-01.20.0.json]   (default: ../shared/reference/)

The operations come from the specification; their status from STATUS below (keyed by operationId),
which is kept with the code: an operation missing from STATUS is listed as not served yet, and
api/src/test/.../CompatibilityTest checks that every operation this file calls served or partial has
a route in the api module."""
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SPEC = os.path.join(ROOT, "..", "shared", "reference", "BatchService-2024-07-01.20.0.json")

SERVED, PARTIAL, NO = "served", "partial", "not supported"
NOT_YET = "not yet"

CERT = "certificates do not exist on self-hosted nodes: 400 FeatureNotSupported saying so"
USERS = "remote login users are not managed by batchgrid (nodes are your machines): 400 FeatureNotSupported"
EXT = "nodes are processes on your machines, not Azure VMs, so they have no VM extensions: 400 FeatureNotSupported"

STATUS = {
    "Application_List": (SERVED, "the applications operators uploaded (`batchgrid app upload`, "
                                 "`PUT /batchgrid/applications/{id}/versions/{version}`)"),
    "Application_Get": (SERVED, "id, displayName, versions; 404 ApplicationNotFound"),
    "Pool_ListUsageMetrics": (SERVED, "always empty: batchgrid does not bill"),
    "Account_ListSupportedImages": (SERVED, "one image, the host's OS from /etc/os-release "
                                            "(nodeAgentSKUId `batch.node.<ID> <VERSION_ID>`); any image is accepted on pools"),
    "Account_ListPoolNodeCounts": (SERVED, "dedicated counts by node state; lowPriority always zero"),
    "Certificate_Add": (NO, CERT), "Certificate_List": (NO, CERT), "Certificate_CancelDeletion": (NO, CERT),
    "Certificate_Delete": (NO, CERT), "Certificate_Get": (NO, CERT),
    "File_GetFromTask": (SERVED, "ocp-range supported; 409 TaskFilesUnavailable once the task's retentionTime has "
                                 "passed and its directory was removed"),
    "File_GetPropertiesFromTask": (SERVED, ""),
    "File_ListFromComputeNode": (SERVED, "paths relative to the node's root (shared/, startup/, workitems/...); "
                                         "`recursive`, `$filter` on name; 409 NodeNotReady while the node is not registered"),
    "File_GetFromComputeNode": (SERVED, "ocp-range supported"),
    "File_GetPropertiesFromComputeNode": (SERVED, ""),
    "File_DeleteFromTask": (SERVED, "`recursive` for a directory that is not empty (else 409 DirectoryNotEmpty, "
                                    "a code of batchgrid's: Azure documents none)"),
    "File_DeleteFromComputeNode": (SERVED, "paths relative to the node's root; `recursive` as for task files; links "
                                           "are deleted, never followed; the root itself cannot be deleted"),
    "File_ListFromTask": (SERVED, "`recursive`; `$filter` on name (e.g. startswith(name,'wd/')); 409 "
                                  "TaskFilesUnavailable after the task's retentionTime"),
    "Job_Delete": (SERVED, "conditional headers"),
    "Job_Get": (SERVED, "conditional headers (304 on If-None-Match / If-Modified-Since), nested $select, $expand=stats"),
    "Job_Patch": (PARTIAL, "moving a job to another pool is FeatureNotSupported; conditional headers"),
    "Job_Update": (PARTIAL, "as PATCH, with PUT's reset semantics"),
    "Job_Disable": (SERVED, "requeue, terminate, wait"),
    "Job_Enable": (SERVED, ""),
    "Job_Terminate": (SERVED, "terminateReason"),
    "Job_Add": (PARTIAL, "job preparation and release tasks (waitForSuccess, rerunOnNodeRebootAfterSuccess, retries; "
                         "a release task's maxWallClockTime at most PT15M, and none without a preparation task: 400 "
                         "InvalidPropertyValue); job manager tasks, containers and auto pools are FeatureNotSupported"),
    "Job_List": (SERVED, "$filter (full grammar), nested $select, $expand=stats, paging"),
    "Job_GetTaskCounts": (SERVED, "taskCounts and taskSlotCounts"),
    "Pool_Add": (PARTIAL, "startTask runs on every node as it joins, reboots or is reimaged (waitForSuccess, "
                          "maxTaskRetryCount; containerSettings refused); applicationPackageReferences must exist "
                          "(409 InvalidApplicationPackageReferences) and are installed on every node as it joins; "
                          "low-priority nodes, certificates and mounts are FeatureNotSupported; autoscale accepted "
                          "with an interval down to PT5S"),
    "Pool_Patch": (PARTIAL, "metadata, displayName, targetNodeCommunicationMode, startTask (for nodes that join or "
                            "restart later, as Azure); empty certificate and application package lists; the "
                            "properties Azure changes only on empty pools (vmSize, taskSlotsPerNode, ...) are "
                            "FeatureNotSupported; conditional headers"),
    "Pool_UpdateProperties": (PARTIAL, "metadata, targetNodeCommunicationMode and startTask replaced (absent: removed); "
                                       "the reference lists must be empty"),
    "Pool_List": (SERVED, "$filter, nested $select, $expand=stats, paging"),
    "Pool_Delete": (SERVED, "conditional headers"),
    "Pool_Exists": (SERVED, ""),
    "Pool_Get": (SERVED, "autoScaleRun shown; conditional headers; $expand=stats (resourceStats: CPU and memory "
                         "of the host the nodes run on; no usageStats)"),
    "Pool_DisableAutoScale": (SERVED, ""),
    "Pool_EnableAutoScale": (SERVED, "evaluation interval PT5S to PT168H (Azure: PT5M minimum)"),
    "Pool_EvaluateAutoScale": (SERVED, "formula errors come back in AutoScaleRun.error with status 200"),
    "Pool_Resize": (SERVED, "dedicated nodes only; 409 AutoScaleEnabled on autoscale pools"),
    "Pool_StopResize": (SERVED, ""),
    "Pool_RemoveNodes": (SERVED, "requeue and terminate remove at once; taskcompletion and retaineddata disable "
                                 "scheduling on the nodes and remove them when their tasks end (after a restart "
                                 "meanwhile they stay, disabled, until the resize times out); 409 AutoScaleEnabled "
                                 "on autoscale pools; conditional headers"),
    "JobSchedule_Add": (PARTIAL, "jobSpecification as jobs (job manager tasks refused); "
                                 "recurrenceInterval and startWindow at least PT1M"),
    "JobSchedule_List": (SERVED, "$filter, $select, $expand=stats, paging"),
    "JobSchedule_Get": (SERVED, "conditional headers; $expand=stats (the sum over the jobs it created that still exist)"),
    "JobSchedule_Exists": (SERVED, ""),
    "JobSchedule_Patch": (SERVED, "schedule, jobSpecification, metadata; conditional headers; concurrent patches "
                                   "are each merged into the version they replace"),
    "JobSchedule_Update": (SERVED, "as PATCH, with PUT's replace semantics"),
    "JobSchedule_Delete": (SERVED, "deletes its jobs too"),
    "JobSchedule_Disable": (SERVED, ""),
    "JobSchedule_Enable": (SERVED, ""),
    "JobSchedule_Terminate": (SERVED, ""),
    "Job_ListFromJobSchedule": (SERVED, "the jobs `<scheduleId>:job-<n>` it created; $expand=stats"),
    "Task_ListSubtasks": (SERVED, "instances 1..n-1 of a multi-instance task (the primary is the task): node, state, "
                                  "start/end, the coordination command's exit code and result; empty for other tasks"),
    "Job_ListPreparationAndReleaseTaskStatus": (SERVED, "one entry per node the preparation task ran on (nodes that "
                                                        "left the pool included); $filter on the node and both tasks' "
                                                        "state, result, exitCode, retryCount and times, $select, "
                                                        "maxresults and paging; 409 JobPreparationTaskNotSpecified for "
                                                        "a job without one"),
    "Task_Add": (PARTIAL, "containers, authentication tokens and userIdentity.username (no pool user accounts on "
                          "batchgrid nodes) are FeatureNotSupported; applicationPackageReferences are installed on the "
                          "node (a missing one is the task's pre-processing error); multi-instance tasks run as gangs on "
                          "distinct nodes (pool with enableInterNodeCommunication and taskSlotsPerNode 1, else they fail "
                          "with MultiInstanceTaskNotSchedulable rather than wait forever)"),
    "Task_List": (SERVED, "$filter (full grammar), nested $select, $expand=stats; at most 10,000 tasks examined per request"),
    "Task_AddCollection": (SERVED, "at most 100 tasks / 1 MiB; per-task clienterror results"),
    "Task_Delete": (SERVED, "conditional headers"),
    "Task_Get": (SERVED, "conditional headers; $expand=stats"),
    "Task_Terminate": (SERVED, "conditional headers"),
    "Task_Update": (SERVED, "constraints; maxTaskRetryCount applies at once, a new maxWallClockTime from the "
                            "task's next attempt (a running one keeps its own); 409 TaskCompleted; conditional headers"),
    "Task_Reactivate": (SERVED, "a completed task that failed goes back to active, retry count reset; conditional headers"),
    "ComputeNode_AddUser": (NO, USERS), "ComputeNode_DeleteUser": (NO, USERS), "ComputeNode_UpdateUser": (NO, USERS),
    "ComputeNode_GetRemoteLoginSettings": (NO, USERS),
    "ComputeNode_Get": (SERVED, "live state from the node agent, with startTask and startTaskInfo"),
    "ComputeNode_List": (SERVED, "$filter, $select, paging"),
    "ComputeNode_DisableScheduling": (SERVED, "requeue, terminate, taskcompletion; persisted (a node stays disabled "
                                              "across restarts); the node shows schedulingState disabled and offline "
                                              "once it runs nothing; no ETag header (nodes have none)"),
    "ComputeNode_EnableScheduling": (SERVED, "no ETag header (nodes have none)"),
    "ComputeNode_Reboot": (SERVED, "restarts the node's agent, not the machine: tasks requeued (no retry spent), "
                                   "terminated, or left to end (taskcompletion, retaineddata), then a new agent (a new "
                                   "worker JVM with local-process) runs the start task again; 409 NodeBeingRebooted, "
                                   "NodeBeingCreated"),
    "ComputeNode_Reimage": (SERVED, "as reboot, and the node's directory is emptied (but the agent's own agent.* "
                                    "files); the machine's OS is not touched; 409 NodeBeingReimaged"),
    "ComputeNode_Deallocate": (SERVED, "tasks handled as for reboot, then the node's process stops; the node stays in "
                                       "the pool, deallocating then deallocated, persisted across restarts"),
    "ComputeNode_Start": (SERVED, "a deallocated node gets a process again and runs the start task; a node that is "
                                  "not deallocated is left as it is"),
    "ComputeNode_UploadBatchServiceLogs": (PARTIAL, "the node's own agent.* files (a local-process worker's "
                                                   "agent.log, pid, address) whose life overlaps the time range go to "
                                                   "<poolId>/<nodeId>/<uuid>/ in the container; answered after the "
                                                   "upload (Azure answers before); in-process nodes log to the "
                                                   "server's log and upload 0 files; identityReference 400 "
                                                   "FeatureNotSupported; an upload Storage refuses 400 "
                                                   "InvalidPropertyValue on containerUrl"),
    "ComputeNodeExtension_Get": (NO, EXT), "ComputeNodeExtension_List": (NO, EXT),
}


def main():
    spec_path = sys.argv[1] if len(sys.argv) > 1 else SPEC
    with open(spec_path, encoding="utf-8") as f:
        spec = json.load(f)
    rows = []
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            rows.append((op["operationId"], method.upper(), path, op.get("summary", "")))
    rows.sort(key=lambda r: (r[0].split("_")[0], r[2], r[1]))
    unknown = sorted(set(STATUS) - {r[0] for r in rows})
    if unknown:
        sys.exit(f"STATUS names operations the specification does not have: {unknown}")
    counts = {}
    lines = []
    for op_id, method, path, summary in rows:
        status, note = STATUS.get(op_id, (NOT_YET, "400 FeatureNotSupported (documented, not served yet)"))
        counts[status] = counts.get(status, 0) + 1
        lines.append(f"| `{op_id}` | `{method} {path}` | {status} | {note} |")
    out = os.path.join(ROOT, "docs", "compatibility.md")
    with open(out, "w", encoding="utf-8") as f:
        f.write(HEADER.format(version=spec["info"]["version"], total=len(rows),
                              summary=", ".join(f"{counts.get(s, 0)} {s}" for s in (SERVED, PARTIAL, NO, NOT_YET))))
        f.write("| operation | request | status | notes |\n|---|---|---|---|\n")
        f.write("\n".join(lines) + "\n")
        f.write(OLDER)
        f.write(DIFFERENCES)
    print(f"wrote {out}: {len(rows)} operations")


HEADER = """# Compatibility with the Azure Batch data-plane API

Generated by `scripts/compatibility.py` from the specification (api-version {version}); edit the
status table in the script, not this file. {total} operations: {summary}.

- **served**: answers as the specification says (status, headers, body).
- **partial**: served, but some documented properties are refused with 400 `FeatureNotSupported`
  (naming the property) rather than silently ignored.
- **not supported**: cannot exist on self-hosted nodes; answers 400 `FeatureNotSupported` with a reason.
- **not yet**: documented and planned; answers 400 `FeatureNotSupported` (never 404 or 405).

The compatibility suite drives every operation group below through the official Java SDK
(`com.microsoft.azure:azure-batch:11.2.0`) against the packaged server:
`e2e/src/test/java/io/batchgrid/e2e/compat/` (`SdkCompatibilityTest`, and `SdkOverHttpsTest` for
HTTPS). `e2e/npm/smoke.mjs` runs `@azure/batch` 10.2.0 (api-version 2022-10-01.16.0).

"""

OLDER = """
## Operations of older api-versions

Accepted api-versions run from 2022-10-01.16.0 to 2024-07-01.20.0. Two operations of
2022-10-01.16.0 were removed from the specification in 2023-05-01.17.0; batchgrid serves them with
that api-version only (a newer one gets 404 `ResourceNotFound`, as for any unknown path):

| operation | request | api-version | status | notes |
|---|---|---|---|---|
| Job_GetAllLifetimeStatistics | GET /lifetimejobstats | 2022-10-01.16.0 | served | the sum of the `stats` of the jobs that exist now |
| Pool_GetAllLifetimeStatistics | GET /lifetimepoolstats | 2022-10-01.16.0 | served | the pools' `resourceStats` combined; no `usageStats` |
"""

DIFFERENCES = """
## Deliberate differences from Azure Batch

- **Autoscale** evaluates as often as every 5 seconds (`autoScaleEvaluationInterval` from PT5S;
  Azure's floor is PT5M) and nodes appear in seconds. `evaluateautoscale` reports a formula that does
  not parse in `AutoScaleRun.error` (200); `enableautoscale` and pool creation refuse it (400
  `AutoScalingFormulaSyntaxError`). See `docs/autoscale.md` for the language's differences.
- **Conditional headers** on writes travel inside the command to the entity, which checks them
  against its current ETag and Last-Modified in the same step that persists the write: of
  concurrent writes conditioned on one ETag exactly one succeeds, the others get 412
  `ConditionNotMet`. `Last-Modified` comparisons use whole seconds.
- **`$filter`** compares strings and states ignoring case; a filter on a task list examines at most
  10,000 tasks per request and may answer a short or empty page with `odata.nextLink`.
- **Low-priority/Spot nodes** do not exist: `targetLowPriorityNodes > 0` is refused; counts are 0.
- **Supported images** lists the host's own OS; pools accept any image reference and echo it.
- **Accepted and echoed but not acted on** (see `api/README.md`): e.g. `networkConfiguration`,
  `userAccounts`, `upgradePolicy`, `resourceTags`.
- **Statistics** (`$expand=stats`, lifetime statistics) are computed when asked, from the tasks as
  they are: wall clock and wait time of each task's latest attempt (earlier attempts' times are not
  kept), outcomes and retries; deleted tasks and jobs no longer count. CPU and I/O are not measured
  by the nodes and read zero; a pool's `resourceStats` are the CPU and memory use of the host its
  nodes run on, sampled every 5 seconds over the last hour; `usageStats` are not given.
- **Times** are written with seven fractional digits, as Azure does; `Last-Modified` comparisons use
  whole seconds.
"""

if __name__ == "__main__":
    main()
