"""taxii_client: a small TAXII 2.1 client written from the OASIS TAXII 2.1
specification alone (sections 3-5), python3 stdlib only, sharing no code
with the hotline server. It speaks HTTP over a Unix socket or TCP.

  c = TaxiiClient(unix="/path/api.sock")  or  TaxiiClient(host, port,
      ssl_context=ctx, auth="Basic ...")  (HTTPS, HTTP Basic credentials)
  c.discover("/taxii2/") -> discovery resource
  c.collections(api_root) -> list of collection resources
  c.all_objects(api_root, coll_id, limit=...) -> every object, paging on next
  c.add_objects(api_root, coll_id, objects) -> status resource
"""

import http.client
import json
import socket
import urllib.parse

MEDIA = "application/taxii+json;version=2.1"


class TaxiiError(Exception):
    def __init__(self, status, body):
        super().__init__("HTTP %d: %s" % (status, body))
        self.status = status
        self.body = body


class _UnixConn(http.client.HTTPConnection):
    def __init__(self, path, timeout):
        super().__init__("localhost", timeout=timeout)
        self._path = path

    def connect(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(self.timeout)
        s.connect(self._path)
        self.sock = s


class TaxiiClient:
    def __init__(self, host=None, port=None, unix=None, timeout=30,
                 auth=None, ssl_context=None):
        self.host, self.port, self.unix = host, port, unix
        self.ssl_context = ssl_context  # HTTPS when set
        self.timeout = timeout
        self.auth = auth  # value of an Authorization header, or None
        self.last_headers = {}

    def _conn(self):
        if self.unix:
            return _UnixConn(self.unix, self.timeout)
        if self.ssl_context is not None:
            return http.client.HTTPSConnection(self.host, self.port,
                                               timeout=self.timeout,
                                               context=self.ssl_context)
        return http.client.HTTPConnection(self.host, self.port,
                                          timeout=self.timeout)

    def request(self, method, path, body=None, accept=MEDIA,
                content_type=MEDIA, expect_json=True):
        """Returns (status, headers, parsed body or None)."""
        c = self._conn()
        headers = {}
        if accept is not None:
            headers["Accept"] = accept
        if self.auth:
            headers["Authorization"] = self.auth
        data = None
        if body is not None:
            data = body if isinstance(body, bytes) else \
                json.dumps(body).encode()
            if content_type is not None:
                headers["Content-Type"] = content_type
        try:
            c.request(method, path, body=data, headers=headers)
            r = c.getresponse()
            raw = r.read()
            hdrs = {k.lower(): v for k, v in r.getheaders()}
        finally:
            c.close()
        self.last_headers = hdrs
        parsed = None
        if raw and expect_json:
            parsed = json.loads(raw)
        return r.status, hdrs, parsed

    def _get(self, path, params=None):
        if params:
            path += "?" + urllib.parse.urlencode(params)
        status, hdrs, body = self.request("GET", path)
        if status != 200:
            raise TaxiiError(status, body)
        ct = hdrs.get("content-type", "").replace(" ", "").lower()
        if not ct.startswith("application/taxii+json"):
            raise TaxiiError(status, "wrong content type %r" % ct)
        return body

    # Section 4.1: discovery; 4.2: API root.
    def discover(self, path="/taxii2/"):
        return self._get(path)

    def api_root(self, root):
        return self._get(root)

    # Section 5.1 / 5.2
    def collections(self, root):
        return self._get(root.rstrip("/") + "/collections/").get(
            "collections", [])

    def collection(self, root, cid):
        return self._get("%s/collections/%s/" % (root.rstrip("/"), cid))

    # Section 5.4: get objects, one page.
    def objects_page(self, root, cid, **filters):
        params = {}
        for k, v in filters.items():
            if k in ("id", "type", "version", "spec_version"):
                params["match[%s]" % k] = v
            else:
                params[k] = v
        return self._get("%s/collections/%s/objects/" % (root.rstrip("/"),
                                                         cid), params)

    def all_objects(self, root, cid, **filters):
        """Every object, following next while more is true."""
        out = []
        nxt = None
        while True:
            f = dict(filters)
            if nxt:
                f["next"] = nxt
            page = self.objects_page(root, cid, **f)
            out += page.get("objects", [])
            if not page.get("more"):
                return out
            nxt = page.get("next")
            if not nxt:
                raise TaxiiError(200, "more without next")

    # Section 5.5: add objects -> status resource (202).
    def add_objects(self, root, cid, objects):
        status, _, body = self.request(
            "POST", "%s/collections/%s/objects/" % (root.rstrip("/"), cid),
            {"objects": objects})
        if status != 202:
            raise TaxiiError(status, body)
        return body

    def status(self, root, sid):
        return self._get("%s/status/%s/" % (root.rstrip("/"), sid))

    def manifest(self, root, cid, **params):
        return self._get("%s/collections/%s/manifest/" % (
            root.rstrip("/"), cid), params)

    def versions(self, root, cid, oid, **params):
        return self._get("%s/collections/%s/objects/%s/versions/" % (
            root.rstrip("/"), cid, oid), params)

    def get_object(self, root, cid, oid, **params):
        p = {("match[%s]" % k if k in ("version", "spec_version") else k): v
             for k, v in params.items()}
        return self._get("%s/collections/%s/objects/%s/" % (
            root.rstrip("/"), cid, oid), p)

    def delete_object(self, root, cid, oid, **params):
        p = {("match[%s]" % k if k in ("version", "spec_version") else k): v
             for k, v in params.items()}
        path = "%s/collections/%s/objects/%s/" % (root.rstrip("/"), cid, oid)
        if p:
            path += "?" + urllib.parse.urlencode(p)
        status, _, body = self.request("DELETE", path, expect_json=False)
        if status != 200:
            raise TaxiiError(status, body)
