"""A local moto server for boto3, fronted by a tiny proxy that can refuse sts:AssumeRole into chosen accounts.

The proxy speaks plain HTTP and forwards everything else to moto untouched, so the collector runs the real
boto3 clients over a real transport; only the refusal (an STS AccessDenied error document, as AWS sends it)
is ours, because moto lets any role be assumed. moto also answers GetCredentialReport with a fixed 2015
GeneratedTime; the proxy puts the real generation time in its place (or `options["report_time"]`, when a test sets one).
"""

from __future__ import annotations

import http.client
import socket
from contextlib import contextmanager
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from threading import Thread
from urllib.parse import parse_qs, unquote

from moto.moto_server.threaded_moto_server import ThreadedMotoServer

ACCESS_DENIED = (
    '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>'
    "<Code>AccessDenied</Code><Message>User: arn:aws:iam::123456789012:user/auditor is not authorized to perform: "
    "sts:AssumeRole on resource: {arn}</Message></Error>"
    "<RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId></ErrorResponse>"
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _Proxy(BaseHTTPRequestHandler):
    upstream: tuple[str, int]
    refused_accounts: set[str]
    calls: list[str]

    def log_message(self, *args: object) -> None:
        pass

    def _forward(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        form = parse_qs(body.decode("utf-8", "replace"))
        action = (form.get("Action") or [self.headers.get("X-Amz-Target", "")])[0]
        self.server.calls.append(action)  # type: ignore[attr-defined]
        role = unquote((form.get("RoleArn") or [""])[0])
        if action == "AssumeRole" and any(f"::{a}:" in role for a in self.server.refused_accounts):  # type: ignore[attr-defined]
            payload = ACCESS_DENIED.format(arn=role).encode()
            self.send_response(403)
            self.send_header("Content-Type", "text/xml")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
            return
        connection = http.client.HTTPConnection(*self.server.upstream, timeout=30)  # type: ignore[attr-defined]
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
        connection.request(self.command, self.path, body=body, headers=headers)
        response = connection.getresponse()
        data = response.read()
        if action == "GetCredentialReport":
            when = self.server.options.get("report_time") or datetime.now(UTC)  # type: ignore[attr-defined]
            stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
            data = data.replace(b"2015-02-02T20:02:02Z", stamp)
        self.send_response(response.status)
        for key, value in response.getheaders():
            if key.lower() not in ("transfer-encoding", "connection", "content-length"):
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        connection.close()

    do_GET = do_POST = do_PUT = do_DELETE = _forward


@contextmanager
def moto_endpoint(refused_accounts: set[str] | None = None, options: dict | None = None):
    """Start moto and the proxy; yields (endpoint URL, list of actions seen) and stops both after.

    `refused_accounts` and `options` (`report_time`: the GeneratedTime to report) may change while it runs.
    """
    moto_port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=moto_port, verbose=False)
    server.start()
    proxy = ThreadingHTTPServer(("127.0.0.1", 0), _Proxy)
    proxy.upstream = ("127.0.0.1", moto_port)  # type: ignore[attr-defined]
    proxy.refused_accounts = set() if refused_accounts is None else refused_accounts  # type: ignore[attr-defined]
    proxy.calls = []  # type: ignore[attr-defined]
    proxy.options = options if options is not None else {}  # type: ignore[attr-defined]
    thread = Thread(target=proxy.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{proxy.server_address[1]}", proxy.calls  # type: ignore[attr-defined]
    finally:
        proxy.shutdown()
        proxy.server_close()
        server.stop()
