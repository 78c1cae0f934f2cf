"""Drives bench/throughput: pool, job, TASKS tasks through addtaskcollection, wait for completion.
Prints 'submit_seconds total_seconds failed' on the last line."""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from batch_client import BatchClient  # noqa: E402

tasks = int(os.environ.get("TASKS", "10000"))
client = BatchClient(os.environ["BATCHGRID_URL"], os.environ["BATCHGRID_ACCOUNT_NAME"], os.environ["BATCHGRID_ACCOUNT_KEY"])
client.request("POST", "/pools", {
    "id": "bench", "vmSize": "standard_d2s_v3", "targetDedicatedNodes": 2, "taskSlotsPerNode": 2,
    "virtualMachineConfiguration": {"imageReference": {"publisher": "canonical", "offer": "ubuntu", "sku": "22_04-lts"},
                                    "nodeAgentSKUId": "batch.node.ubuntu 22.04"}})
deadline = time.time() + 60
while client.request("GET", "/pools/bench")["allocationState"] != "steady":
    if time.time() > deadline:
        raise SystemExit("pool did not become steady")
    time.sleep(0.1)


def run_job(job_id, count):
    """Adds count /bin/true tasks to a new job; returns (seconds to submit, seconds to complete all)."""
    client.request("POST", "/jobs", {"id": job_id, "poolInfo": {"poolId": "bench"}})
    batches = [{"value": [{"id": f"t{b * 100 + i}", "commandLine": "/bin/true"} for i in range(100)]}
               for b in range(count // 100)]
    start = time.monotonic()
    for body in batches:
        results = client.request("POST", f"/jobs/{job_id}/addtaskcollection", body)["value"]
        if any(r["status"] != "success" for r in results):
            raise SystemExit(f"a task was not added: {results}")
    submitted = time.monotonic()
    while True:
        counts = client.request("GET", f"/jobs/{job_id}/taskcounts")["taskCounts"]
        if counts["completed"] == count:
            break
        time.sleep(0.05)
    return submitted - start, time.monotonic() - start, counts["failed"]


# A service runs for days: measure it warmed up (JIT-compiled), not while the JIT compiles it.
run_job("warmup", int(os.environ.get("WARMUP", "3000")))
submit_s, total_s, failed = run_job("bench", tasks)
print(f"{submit_s:.2f} {total_s:.2f} {failed}")

