"""A real HTTP(S) server on 127.0.0.1 for the live evidence tests: it answers the GitHub and
GitLab API paths a test gives it with recorded-shaped responses (pages linked by `Link:
rel="next"` or `x-next-page`), and on request misbehaves the ways real servers do — rate
limits with Retry-After, 5xx, slow, trickling and truncated answers, a wrong content type, redirect
loops.  It records every request (path and headers) for the test to check.

    srv = ApiServer()                     # or ApiServer(cert=..., key=...) for TLS
    srv.route("/repos/o/r/commits/SHA/check-runs?per_page=100", [Reply(body=...)])
    srv.start(); ... srv.base ...; srv.stop()

Each route holds a list of replies served in turn (the last one repeats), so a test can
say "429 first, then the page".  No thread outlives stop(); the server stops itself after
a bounded time whatever the test does.
"""

import http.server
import json
import socket
import ssl
import threading
import time


class Reply:
    def __init__(self, body=b"", status=200, headers=None, content_type="application/json; charset=utf-8",
                 delay=0.0, truncate=None, trickle=0.0):
        self.body = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.status = status
        self.headers = dict(headers or {})
        self.content_type = content_type
        self.delay = delay          # seconds before the answer starts
        self.truncate = truncate    # send only this many body bytes (with the full Content-Length)
        self.trickle = trickle      # seconds between body bytes (headers at once): a slow body


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # quiet: the TAP output is the test's
        pass

    def do_GET(self):
        srv = self.server.owner
        with srv.lock:
            srv.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
            replies = srv.routes.get(self.path)
            if replies is None:
                reply = Reply({"message": "Not Found"}, status=404)
            else:
                n = srv.served.get(self.path, 0)
                srv.served[self.path] = n + 1
                reply = replies[min(n, len(replies) - 1)]
        if reply.delay:
            time.sleep(reply.delay)
        body = reply.body.replace(b"{BASE}", srv.base.encode())
        try:
            self.send_response(reply.status)
            if reply.content_type:
                self.send_header("Content-Type", reply.content_type)
            self.send_header("Content-Length", str(len(body)))
            for k, v in reply.headers.items():
                self.send_header(k, v.replace("{BASE}", srv.base))
            if reply.truncate is not None:
                self.send_header("Connection", "close")
            self.end_headers()
            if reply.trickle:
                for i in range(len(body)):
                    self.wfile.write(body[i:i + 1])
                    self.wfile.flush()
                    if srv.stopping.wait(reply.trickle):
                        break
            else:
                self.wfile.write(body if reply.truncate is None else body[:reply.truncate])
            self.wfile.flush()
            if reply.truncate is not None:
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
        except (BrokenPipeError, ConnectionResetError, OSError):
            self.close_connection = True


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False   # a slow reply still sleeping must not hold stop()
    allow_reuse_address = True


class ApiServer:
    def __init__(self, cert=None, key=None, lifetime=120.0):
        self.routes = {}
        self.served = {}
        self.requests = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()   # a trickling reply ends when the server stops
        self.httpd = _Server(("127.0.0.1", 0), _Handler)
        self.httpd.owner = self
        self.tls = cert is not None
        if self.tls:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(cert, key)
            self.httpd.socket = ctx.wrap_socket(self.httpd.socket, server_side=True)
        port = self.httpd.server_address[1]
        self.base = "%s://127.0.0.1:%d" % ("https" if self.tls else "http", port)
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        # Never outlive a test that forgets to stop it.
        self.timer = threading.Timer(lifetime, self.stop)
        self.timer.daemon = True

    def route(self, path, replies):
        self.routes[path] = replies if isinstance(replies, list) else [replies]

    def start(self):
        self.thread.start()
        self.timer.start()
        return self

    def stop(self):
        self.stopping.set()
        self.timer.cancel()
        if self.thread.is_alive():
            self.httpd.shutdown()
        self.httpd.server_close()

    def paths(self):
        with self.lock:
            return [p for p, _ in self.requests]

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
