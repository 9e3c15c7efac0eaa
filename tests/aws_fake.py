"""A fake AWS for the live-scan tests: moto's server behind a small proxy of ours, both on
127.0.0.1 only.

The proxy forwards every request to moto, except where the tests need what moto cannot
do: it answers ``AccessDenied`` for every call in the regions of ``deny_regions``,
``Throttling`` the first N times an operation is called (``throttle``), serves recorded
responses for the APIs moto lacks (``SelectAggregateResourceConfig``, Resource Explorer),
and adds to a moto response the elements moto does not model (DynamoDB global table
replicas). It counts every request it sees, by (region, service, operation).
"""

from __future__ import annotations

import http.client
import json
import os
import re
import threading
from collections import Counter
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
from moto.server import ThreadedMotoServer

SCOPE = re.compile(r"Credential=[^/]+/\d{8}/([^/]+)/([^/]+)/aws4_request")
JSON_SERVICES = {"dynamodb", "kms", "tagging", "secretsmanager", "config", "organizations", "ecr"}
REST_JSON = {"lambda", "backup", "elasticfilesystem", "es", "resource-explorer-2"}
EC2 = {"ec2"}
REST_XML = {"s3", "cloudfront", "route53"}

Rewrite = Callable[[dict[str, Any], str], dict[str, Any]]


def isolate_aws_env(mp: pytest.MonkeyPatch, endpoint: str, empty_file: Path) -> None:
    """Point boto3 at a local endpoint only, with dummy keys: no AWS_* variable, profile,
    credentials file or instance metadata of the machine running the tests is used."""
    for k in [k for k in os.environ if k.startswith("AWS_")]:
        mp.delenv(k)
    mp.setenv("AWS_ENDPOINT_URL", endpoint)
    mp.setenv("AWS_ACCESS_KEY_ID", "testing")
    mp.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    mp.setenv("AWS_DEFAULT_REGION", "us-east-1")
    mp.setenv("AWS_CONFIG_FILE", str(empty_file))
    mp.setenv("AWS_SHARED_CREDENTIALS_FILE", str(empty_file))
    mp.setenv("AWS_EC2_METADATA_DISABLED", "true")


class FakeAws:
    """moto server + proxy. ``url`` is what ``AWS_ENDPOINT_URL`` points at."""

    def __init__(self) -> None:
        self.moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self.moto.start()
        host, port = self.moto.get_host_and_port()
        self.moto_addr = (host, port)
        self.deny_regions: set[str] = set()
        self.throttle: dict[str, int] = {}
        """"OPERATION REGION" -> how many more times to answer Throttling."""
        self.canned: dict[str, dict[str, Any]] = {}
        """operation name -> the recorded JSON response to serve instead of moto's."""
        self.canned_raw: dict[str, tuple[str, bytes]] = {}
        """operation name -> (content type, body): a recorded answer in the service's own format (XML)."""
        self.rewrite: dict[str, Rewrite] = {}
        """operation name -> a function adding to moto's JSON answer (body, region) what moto lacks."""
        self.errors: dict[str, tuple[int, str, str]] = {}
        """operation name -> (status, error code, message) to answer instead of moto."""
        self.seen: Counter[tuple[str, str, str]] = Counter()
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.moto.stop()

    def reset(self) -> None:
        """Forget moto's state and the proxy's rules."""
        import urllib.request

        host, port = self.moto_addr
        urllib.request.urlopen(urllib.request.Request(f"http://{host}:{port}/moto-api/reset", method="POST")).read()
        self.deny_regions.clear()
        self.throttle.clear()
        self.canned.clear()
        self.canned_raw.clear()
        self.rewrite.clear()
        self.errors.clear()
        self.seen.clear()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go in separate writes: no 40 ms delayed-ACK stall

            def log_message(self, *args: Any) -> None:
                return None

            def _all(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                m = SCOPE.search(self.headers.get("Authorization", ""))
                region, service = (m.group(1), m.group(2)) if m else ("?", "?")
                target = self.headers.get("X-Amz-Target", "")
                if target:
                    op = target.rsplit(".", 1)[-1]
                elif service in REST_JSON or service in REST_XML:
                    op = f"{self.command} {self.path.split('?')[0]}"
                else:
                    op = parse_qs(body.decode("utf-8", "replace")).get("Action", ["?"])[0]
                with fake.lock:
                    fake.seen[(region, service, op)] += 1
                    rule = f"{op} {region}"
                    throttled = fake.throttle.get(rule, 0) > 0
                    if throttled:
                        fake.throttle[rule] -= 1
                if region in fake.deny_regions:
                    return self._error(service, 403, "AccessDenied" if service not in JSON_SERVICES | REST_JSON
                                       else "AccessDeniedException", f"not authorized in {region}")
                if op in fake.errors:
                    return self._error(service, *fake.errors[op])
                if throttled:
                    return self._error(service, 400, "ThrottlingException" if service in JSON_SERVICES | REST_JSON
                                       else "Throttling", "Rate exceeded")
                if op in fake.canned_raw:
                    ctype, raw = fake.canned_raw[op]
                    return self._send(200, {"Content-Type": ctype}, raw)
                key = op if op in fake.canned else f"{op} {region}"
                if key in fake.canned:
                    return self._send(200, {"Content-Type": "application/x-amz-json-1.1"},
                                      json.dumps(fake.canned[key]).encode())
                status, headers, data = self._forward(body)
                if op in fake.rewrite and status == 200:
                    data = json.dumps(fake.rewrite[op](json.loads(data), region)).encode()
                    headers = {k: v for k, v in headers.items() if k.lower() != "x-amz-crc32"}
                self._send(status, headers, data)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _all

            def _forward(self, body: bytes) -> tuple[int, dict[str, str], bytes]:
                conn = http.client.HTTPConnection(*fake.moto_addr, timeout=60)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("connection", "content-length")}
                conn.request(self.command, self.path, body=body or None, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
                out = {k: v for k, v in resp.getheaders()
                       if k.lower() not in ("connection", "content-length", "transfer-encoding", "server", "date")}
                conn.close()
                return resp.status, out, data

            def _error(self, service: str, status: int, code: str, message: str) -> None:
                if service in JSON_SERVICES:
                    return self._send(status, {"Content-Type": "application/x-amz-json-1.1"},
                                      json.dumps({"__type": code, "message": message}).encode())
                if service in REST_JSON:
                    return self._send(status, {"Content-Type": "application/json", "x-amzn-ErrorType": code},
                                      json.dumps({"message": message}).encode())
                if service in EC2:
                    xml = (f"<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message></Error></Errors>"
                           "<RequestID>fake</RequestID></Response>")
                elif service in REST_XML:
                    xml = f"<Error><Code>{code}</Code><Message>{message}</Message><RequestId>fake</RequestId></Error>"
                else:
                    xml = (f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message>"
                           "</Error><RequestId>fake</RequestId></ErrorResponse>")
                return self._send(status, {"Content-Type": "text/xml"}, xml.encode())

            def _send(self, status: int, headers: dict[str, str], data: bytes) -> None:
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)

        return Handler
