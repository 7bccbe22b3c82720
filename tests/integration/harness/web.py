"""The HTTPS side of the harness: responses, the TLS client connection, the rendered nginx site,
the self-signed certificate, and a stream of requests (see stack.py)."""
import http.client
import json
import os
import socket
import ssl
import subprocess
import tempfile
import threading
import time

from .common import TEST_RATE_LIMIT

# ---------------------------------------------------------------------------
# HTTPS client


class Response:
    """status, headers (http.client.HTTPMessage: case-insensitive .get), body bytes.

    Unpacks as (status, headers, body); .json parses the body."""

    def __init__(self, status, headers, body, reason=""):
        self.status, self.headers, self.body, self.reason = status, headers, body, reason

    def __iter__(self):
        return iter((self.status, self.headers, self.body))

    @property
    def json(self):
        return json.loads(self.body.decode("utf-8"))

    def __repr__(self):
        return "<Response %d %r>" % (self.status, self.body[:300])


class HttpsConnection(http.client.HTTPSConnection):
    """Connects to 127.0.0.1 but verifies the certificate for `localhost`."""

    def __init__(self, port, context, timeout, server_hostname="localhost"):
        super().__init__("127.0.0.1", port, context=context, timeout=timeout)
        self._sni = server_hostname

    def connect(self):
        sock = socket.create_connection((self.host, self.port), self.timeout)
        # http.client writes the headers and the body in two sends: with Nagle on, the
        # body waits for nginx's delayed ACK of the headers, 40 ms per request with a
        # body on a kept-alive connection.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock = self._context.wrap_socket(sock, server_hostname=self._sni)


class StackClient:
    """The client side of a Stack (a base class of harness.stack.Stack): HTTPS requests
    through its nginx, certificate verified for `localhost`, and raw bytes on the wire.
    Uses the stack's https_port, http_port, cert and token()."""

    def ssl_context(self):
        ctx = ssl.create_default_context(cafile=self.cert)
        ctx.check_hostname = True
        return ctx

    def connection(self, timeout=10):
        """A keep-alive HTTPS connection (http.client) to nginx."""
        return HttpsConnection(self.https_port, self.ssl_context(), timeout)

    def request(self, method, path, body=None, headers=None, token=None, timeout=10,
                conn=None):
        """One HTTPS request through nginx -> Response(status, headers, body).

        body: bytes/str sent as is, anything else as JSON (with Content-Type JSON unless
        headers set one). token: a JWT string, or a dict of claims for make_token()."""
        hdrs = dict(headers or {})
        if body is not None and not isinstance(body, (bytes, str)):
            body = json.dumps(body).encode()
            if not any(k.lower() == "content-type" for k in hdrs):
                hdrs["Content-Type"] = "application/json"
        if token is not None:
            if isinstance(token, dict):
                token = self.token(**token)
            hdrs["Authorization"] = "Bearer " + token
        own = conn is None
        conn = conn or self.connection(timeout)
        try:
            conn.request(method, path, body=body, headers=hdrs)
            resp = conn.getresponse()
            data = resp.read()
            return Response(resp.status, resp.headers, data, resp.reason)
        finally:
            if own:
                conn.close()

    def raw(self, data, tls=True, timeout=5, port=None):
        """Sends raw bytes to nginx (HTTPS port; tls=False: the plain HTTP port) and
        returns everything it answers until it closes or `timeout` passes."""
        sock = self.raw_socket(tls=tls, timeout=timeout, port=port)
        try:
            sock.sendall(data)
            chunks = []
            while True:
                try:
                    chunk = sock.recv(65536)
                except (socket.timeout, ssl.SSLError, ConnectionResetError):
                    break
                if not chunk:
                    break
                chunks.append(chunk)
            return b"".join(chunks)
        finally:
            sock.close()

    def raw_socket(self, tls=True, timeout=5, port=None):
        port = port or (self.https_port if tls else self.http_port)
        sock = socket.create_connection(("127.0.0.1", port), timeout)
        if tls:
            sock = self.ssl_context().wrap_socket(sock, server_hostname="localhost")
        return sock


class CurlResponse(Response):
    """A Response from curl, plus the HTTP version curl negotiated ("2", "1.1") and
    curl's exit code (non-zero: no complete answer, e.g. a reset connection)."""

    def __init__(self, status, headers, body, http_version, exit_code, stderr):
        super().__init__(status, headers, body)
        self.http_version, self.exit_code, self.stderr = http_version, exit_code, stderr

    def __repr__(self):
        return "<CurlResponse HTTP/%s %d exit %d %r %s>" % (
            self.http_version, self.status, self.exit_code, self.body[:300], self.stderr[:200])


def curl(stack, method, path, body=None, headers=None, token=None, http2=True, host="localhost",
         port=None, scheme="https", extra=(), timeout=10):
    """One request with curl (HTTP/2 over TLS unless http2=False, as browsers speak to
    the site), to 127.0.0.1 with `host` as SNI and Host. Returns a CurlResponse."""
    port = port or (stack.https_port if scheme == "https" else stack.http_port)
    with tempfile.TemporaryDirectory(prefix="todo-api-curl-") as d:
        head, out = os.path.join(d, "head"), os.path.join(d, "body")
        cmd = ["curl", "-sS", "--path-as-is", "--max-time", str(timeout), "-X", method,
               "--resolve", "%s:%d:127.0.0.1" % (host, port), "--cacert", stack.cert,
               "-D", head, "-o", out, "-w", "%{http_code} %{http_version}",
               "--http2" if http2 else "--http1.1"]
        for name, value in (headers or {}).items():
            cmd += ["-H", "%s: %s" % (name, value)]
        if token is not None:
            cmd += ["-H", "Authorization: Bearer " + token]
        if body is not None:
            if not isinstance(body, (bytes, str)):
                body = json.dumps(body)
                cmd += ["-H", "Content-Type: application/json"]
            path_body = os.path.join(d, "request")
            with open(path_body, "wb") as f:
                f.write(body.encode() if isinstance(body, str) else body)
            cmd += ["--data-binary", "@" + path_body]
        cmd += list(extra) + ["%s://%s:%d%s" % (scheme, host, port, path)]
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout + 5)
        code, _, version = r.stdout.strip().partition(" ")
        raw_head, data = b"", b""
        if os.path.exists(head):
            with open(head, "rb") as f:
                raw_head = f.read()
        if os.path.exists(out):
            with open(out, "rb") as f:
                data = f.read()
    # The last header block (after any 1xx); a status line, then "name: value" lines.
    block = raw_head.replace(b"\r\n", b"\n").strip().split(b"\n\n")[-1]
    msg = http.client.HTTPMessage()
    for line in block.split(b"\n")[1:]:
        name, _, value = line.decode("latin-1").partition(":")
        if name:
            msg[name.strip()] = value.strip()
    return CurlResponse(int(code or 0), msg, data, version, r.returncode, r.stderr)


# ---------------------------------------------------------------------------
# nginx site rendering


def render_site(text, https_port, http_port, fcgi_socket, cert, key, access_log,
                server_name="localhost", rate_limit=TEST_RATE_LIMIT, listen="127.0.0.1",
                aliases=("127.0.0.1",)):
    """The shipped site file with test values, by exact substitution.

    `aliases`: more names the site answers to (the tests' http.client sends
    Host: 127.0.0.1:<port>); any other Host meets the default server's 444.

    Every substituted line must be found exactly as often as expected, so the
    shipped file and this renderer cannot drift apart silently."""
    rules = [
        ("listen 80;", "listen %s:%d;" % (listen, http_port), 1),
        ("listen [::]:80;", "", 1),
        ("listen 443 ssl http2;", "listen %s:%d ssl http2;" % (listen, https_port), 1),
        ("listen [::]:443 ssl http2;", "", 1),
        ("listen 80 default_server;", "listen %s:%d default_server;" % (listen, http_port), 1),
        ("listen [::]:80 default_server;", "", 1),
        ("listen 443 ssl http2 default_server;",
         "listen %s:%d ssl http2 default_server;" % (listen, https_port), 1),
        ("listen [::]:443 ssl http2 default_server;", "", 1),
        ("server_name api.example.com;",
         "server_name %s;" % " ".join((server_name,) + tuple(aliases)), 2),
        ("return 301 https://api.example.com$request_uri;",
         "return 301 https://%s:%d$request_uri;" % (server_name, https_port), 1),
        ("ssl_certificate /etc/letsencrypt/live/api.example.com/fullchain.pem;",
         "ssl_certificate %s;" % cert, 1),
        ("ssl_certificate_key /etc/letsencrypt/live/api.example.com/privkey.pem;",
         "ssl_certificate_key %s;" % key, 1),
        ("server unix:/run/todo-api/fcgi.sock;", "server unix:%s;" % fcgi_socket, 1),
        ("access_log /var/log/nginx/todo-api.access.log todo_api buffer=64k flush=1s;",
         "access_log %s todo_api;" % access_log, 1),
    ]
    if rate_limit:
        rate, burst = rate_limit
        rules += [("zone=todo_api:10m rate=20r/s;", "zone=todo_api:10m rate=%s;" % rate, 1),
                  ("limit_req zone=todo_api burst=100 nodelay;",
                   "limit_req zone=todo_api burst=%d nodelay;" % burst, 1)]
    for old, new, count in rules:
        found = text.count(old)
        if found != count:
            raise ValueError("nginx/todo-api.conf: expected %d x %r, found %d"
                             % (count, old, found))
        text = text.replace(old, new)
    return text


def nginx_main_conf(prefix, site_path, worker_processes=1):
    user = "user root root;\n" if os.geteuid() == 0 else ""
    return """# Rendered by tests/integration/harness/web.py
{user}worker_processes {workers};
pid {p}/nginx.pid;
error_log {p}/error.log info;
events {{ worker_connections 1024; }}
http {{
    default_type application/octet-stream;
    client_body_temp_path {p}/tmp/body;
    fastcgi_temp_path {p}/tmp/fastcgi;
    proxy_temp_path {p}/tmp/proxy;
    uwsgi_temp_path {p}/tmp/uwsgi;
    scgi_temp_path {p}/tmp/scgi;
    include {site};
}}
""".format(user=user, workers=worker_processes, p=prefix, site=site_path)


def make_certificate(directory):
    """Self-signed ECDSA certificate for localhost (SAN DNS:localhost, IP:127.0.0.1)."""
    cert, key = os.path.join(directory, "cert.pem"), os.path.join(directory, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec",
                    "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "30",
                    "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
                    "-keyout", key, "-out", cert], check=True, capture_output=True)
    os.chmod(key, 0o600)
    return cert, key


class RequestStream:
    """`threads` clients sending `GET path` in a loop for `seconds`, as a context manager:
    the body of the `with` runs while they send (disturb the pool there); on exit the
    clients are joined. `results` holds every status, `errors` every non-200 response or
    exception — a failed request is the finding."""

    def __init__(self, stack, seconds, threads=2, path="/api/health", timeout=10):
        self.stack, self.path, self.timeout = stack, path, timeout
        self.stop_at = time.monotonic() + seconds
        self.results, self.errors = [], []
        self.threads = [threading.Thread(target=self._client) for _ in range(threads)]

    def _client(self):
        while time.monotonic() < self.stop_at:
            try:
                r = self.stack.request("GET", self.path, timeout=self.timeout)
                self.results.append(r.status)
                if r.status != 200:
                    self.errors.append(r)
            except Exception as e:  # noqa: BLE001 - a failed request is the finding
                self.errors.append(e)

    def __enter__(self):
        for t in self.threads:
            t.start()
        time.sleep(0.5)  # let the stream get going before the disturbance
        return self

    def __exit__(self, *exc):
        for t in self.threads:
            t.join()
        return False
