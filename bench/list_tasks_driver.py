"""Times task-list pages of a 100,000-task job with $filter and $select (driver of bench/list-tasks).

Environment: BATCHGRID_URL, BATCHGRID_ACCOUNT_NAME, BATCHGRID_ACCOUNT_KEY, TASKS (default 100000),
ROUNDS (timed requests per case, default 30). Prints one line per case: median, p90 and max in ms."""
import email.utils
import json
import os
import statistics
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from batch_client import API_VERSION, BatchClient  # noqa: E402


class ListClient(BatchClient):
    def get(self, path, params):
        """GET with query parameters (signed with their decoded values); returns (status, json)."""
        query = {"api-version": API_VERSION, **params}
        headers = {"ocp-date": email.utils.formatdate(usegmt=True)}
        headers["Authorization"] = self._sign("GET", path, query, headers, 0)
        url = path + "?" + urllib.parse.urlencode(query, quote_via=urllib.parse.quote)
        self.conn.request("GET", url, headers=headers)
        response = self.conn.getresponse()
        payload = response.read()
        if response.status != 200:
            raise RuntimeError(f"GET {url}: {response.status} {payload[:500]!r}")
        return json.loads(payload)


def main():
    tasks = int(os.environ.get("TASKS", "100000"))
    rounds = int(os.environ.get("ROUNDS", "30"))
    c = ListClient(os.environ["BATCHGRID_URL"], os.environ["BATCHGRID_ACCOUNT_NAME"], os.environ["BATCHGRID_ACCOUNT_KEY"])
    c.request("POST", "/pools", {"id": "list-pool", "vmSize": "local", "targetDedicatedNodes": 0})
    c.request("POST", "/jobs", {"id": "list-job", "poolInfo": {"poolId": "list-pool"}})
    start = time.monotonic()
    for base in range(0, tasks, 100):
        c.request("POST", "/jobs/list-job/addtaskcollection", {"value": [
            {"id": f"task-{i:06d}", "displayName": f"shard-{i % 10}", "commandLine": "/bin/true"}
            for i in range(base, base + 100)]})
    print(f"added {tasks} tasks in {time.monotonic() - start:.1f} s", file=sys.stderr)

    select = "id,state,executionInfo/retryCount"
    cases = [
        ("no filter, no select", {"maxresults": "1000"}),
        ("$filter state eq 'active' + $select", {"maxresults": "1000", "$filter": "state eq 'active'", "$select": select}),
        ("$filter and/or/startswith + $select",
         {"maxresults": "1000", "$select": select,
          "$filter": "(displayName eq 'shard-3' or startswith(id,'task-05')) and executionInfo/retryCount eq 0"}),
        ("$filter matching nothing (one capped scan)", {"maxresults": "1000", "$filter": "state eq 'completed'",
                                                       "$select": select}),
    ]
    path = "/jobs/list-job/tasks"
    print(f"{'case (1,000-item pages of a ' + format(tasks, ',') + '-task job)':58} {'items':>6} {'median':>8} {'p90':>8} {'max':>8}")
    for name, params in cases:
        for _ in range(10):  # warm-up: the service is JIT-compiled when it has run for a while
            c.get(path, params)
        times, items = [], 0
        token = None
        for _ in range(rounds):
            p = dict(params)
            if token:
                p["$skiptoken"] = token
            t0 = time.perf_counter()
            body = c.get(path, p)
            times.append((time.perf_counter() - t0) * 1000)
            items = max(items, len(body["value"]))
            link = body.get("odata.nextLink")
            # Walk through the job page by page (back to the start at its end).
            token = urllib.parse.parse_qs(urllib.parse.urlparse(link).query)["$skiptoken"][0] if link else None
        times.sort()
        print(f"{name:58} {items:>6} {statistics.median(times):>7.1f}ms {times[int(len(times) * 0.9) - 1]:>6.1f}ms "
              f"{times[-1]:>6.1f}ms")


if __name__ == "__main__":
    main()
