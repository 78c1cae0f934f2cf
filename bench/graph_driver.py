"""Drives bench/dependency-graph: one root task, N-2 tasks that depend on it (fan-out), and one task
that depends on all of those through a single id range (fan-in). Prints
'submit_seconds run_seconds' on the last line."""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from batch_client import BatchClient  # noqa: E402

n = int(os.environ.get("TASKS", "100000"))
client = BatchClient(os.environ["BATCHGRID_URL"], os.environ["BATCHGRID_ACCOUNT_NAME"], os.environ["BATCHGRID_ACCOUNT_KEY"])
client.request("POST", "/pools", {
    "id": "graph", "vmSize": "standard_d2s_v3", "targetDedicatedNodes": 2, "taskSlotsPerNode": 4,
    "virtualMachineConfiguration": {"imageReference": {"publisher": "canonical", "offer": "ubuntu", "sku": "22_04-lts"},
                                    "nodeAgentSKUId": "batch.node.ubuntu 22.04"}})
while client.request("GET", "/pools/graph")["allocationState"] != "steady":
    time.sleep(0.1)
client.request("POST", "/jobs", {"id": "graph", "poolInfo": {"poolId": "graph"}, "usesTaskDependencies": True})

last = n - 1
tasks = [{"id": str(i), "commandLine": "/bin/true", "dependsOn": {"taskIds": ["0"]}} for i in range(1, last)]
tasks.append({"id": str(last), "commandLine": "/bin/true", "dependsOn": {"taskIdRanges": [{"start": 1, "end": last - 1}]}})
start = time.monotonic()
for i in range(0, len(tasks), 100):
    client.request("POST", "/jobs/graph/addtaskcollection", {"value": tasks[i:i + 100]})
submitted = time.monotonic()
print(f"submitted {n - 1} waiting tasks in {submitted - start:.1f} s", file=sys.stderr)
begin = time.monotonic()
client.request("POST", "/jobs/graph/tasks", {"id": "0", "commandLine": "/bin/true"})
while client.request("GET", "/jobs/graph/taskcounts")["taskCounts"]["completed"] < n:
    time.sleep(0.5)
print(f"{submitted - start:.1f} {time.monotonic() - begin:.1f}")
