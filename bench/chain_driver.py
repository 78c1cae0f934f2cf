"""Drives bench/dependency-chain: a chain of LINKS /bin/true tasks, each depending on the one before.
Prints 'seconds_for_the_chain' on the last line."""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from batch_client import BatchClient  # noqa: E402

links = int(os.environ.get("LINKS", "100"))
client = BatchClient(os.environ["BATCHGRID_URL"], os.environ["BATCHGRID_ACCOUNT_NAME"], os.environ["BATCHGRID_ACCOUNT_KEY"])
client.request("POST", "/pools", {
    "id": "chain", "vmSize": "standard_d2s_v3", "targetDedicatedNodes": 1, "taskSlotsPerNode": 1,
    "virtualMachineConfiguration": {"imageReference": {"publisher": "canonical", "offer": "ubuntu", "sku": "22_04-lts"},
                                    "nodeAgentSKUId": "batch.node.ubuntu 22.04"}})
while client.request("GET", "/pools/chain")["allocationState"] != "steady":
    time.sleep(0.1)


def run_chain(job_id, count):
    client.request("POST", "/jobs", {"id": job_id, "poolInfo": {"poolId": "chain"}, "usesTaskDependencies": True})
    tasks = [{"id": f"link-{i}", "commandLine": "/bin/true",
              **({"dependsOn": {"taskIds": [f"link-{i - 1}"]}} if i > 0 else {})} for i in range(count)]
    # Every link but the first is added first, so the chain starts only when its head arrives.
    for start in range(1, count, 100):
        client.request("POST", f"/jobs/{job_id}/addtaskcollection", {"value": tasks[start:start + 100]})
    begin = time.monotonic()
    client.request("POST", f"/jobs/{job_id}/tasks", tasks[0])
    while client.request("GET", f"/jobs/{job_id}/taskcounts")["taskCounts"]["completed"] < count:
        time.sleep(0.01)
    return time.monotonic() - begin


run_chain("warmup", 50)
print(f"{run_chain('chain', links):.3f}")
