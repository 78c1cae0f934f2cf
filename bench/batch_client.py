"""A small Azure Batch REST client for the benchmarks: one process, one kept-alive connection,
SharedKey signing with the standard library. It keeps the load generator's own CPU use low, which
matters on a 2-core machine where the service and its task processes share the cores."""
import base64
import email.utils
import hashlib
import hmac
import http.client
import json
import urllib.parse

API_VERSION = "2024-07-01.20.0"
CONTENT_TYPE = "application/json; odata=minimalmetadata"


class BatchClient:
    def __init__(self, url, account, key):
        parsed = urllib.parse.urlparse(url)
        self.host, self.port = parsed.hostname, parsed.port or 80
        self.account = account
        self.key = base64.b64decode(key)
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)

    def _sign(self, method, path, query, headers, length):
        lines = [method, "", "", str(length) if length else "", "", headers.get("Content-Type", ""), "",
                 "", "", "", "", ""]
        ocp = sorted((k.lower(), v) for k, v in headers.items() if k.lower().startswith("ocp-"))
        text = "\n".join(lines) + "\n" + "".join(f"{k}:{v}\n" for k, v in ocp)
        text += f"/{self.account}{path}"
        for name, value in sorted((k.lower(), v) for k, v in query.items()):
            text += f"\n{name}:{value}"
        digest = hmac.new(self.key, text.encode("utf-8"), hashlib.sha256).digest()
        return f"SharedKey {self.account}:{base64.b64encode(digest).decode()}"

    def request(self, method, path, body=None):
        query = {"api-version": API_VERSION}
        data = json.dumps(body).encode("utf-8") if body is not None else b""
        headers = {"ocp-date": email.utils.formatdate(usegmt=True)}
        if body is not None:
            headers["Content-Type"] = CONTENT_TYPE
        headers["Authorization"] = self._sign(method, path, query, headers, len(data))
        url = path + "?" + urllib.parse.urlencode(query)
        self.conn.request(method, url, body=data if body is not None else None, headers=headers)
        response = self.conn.getresponse()
        payload = response.read()
        if response.status >= 300:
            raise RuntimeError(f"{method} {path}: {response.status} {payload[:500]!r}")
        return json.loads(payload) if payload else None
