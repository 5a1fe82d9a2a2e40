"""A scripted HTTP server on loopback, for client behaviour the sandbox cannot produce.

Each request takes the next canned answer from the script (the last one repeats) and is recorded
with its method, path, headers and body, so tests check exactly what crossed the wire.
"""

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Answer:
    status: int = 200
    body: bytes | str | dict | None = None
    headers: dict = field(default_factory=dict)
    # Seconds between the body's bytes, sent one at a time (a slow or hostile server).
    drip: float = 0
    # Drip the status line and headers too, not only the body.
    drip_head: bool = False

    def payload(self):
        if isinstance(self.body, dict):
            return json.dumps(self.body).encode()
        if isinstance(self.body, str):
            return self.body.encode()
        return self.body or b""


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict
    body: bytes


class StubServer:
    def __init__(self):
        self.script = [Answer(body={"data": []})]
        self.requests = []
        # Answers by path prefix, given every time (the script serves every other path).
        self.routes = {}
        self.stopping = threading.Event()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                stub.requests.append(
                    Recorded(self.command, self.path, dict(self.headers), self.rfile.read(length))
                )
                routed = [answer for prefix, answer in stub.routes.items() if self.path.startswith(prefix)]
                if routed:
                    answer = routed[0]
                else:
                    answer = stub.script.pop(0) if len(stub.script) > 1 else stub.script[0]
                payload = answer.payload()
                if answer.drip_head:
                    head = "".join(
                        [f"HTTP/1.1 {answer.status} OK\r\n"]
                        + [f"{name}: {value}\r\n" for name, value in answer.headers.items()]
                        + [f"Content-Length: {len(payload)}\r\n\r\n"]
                    )
                    self._drip(head.encode() + payload, answer.drip)
                    return
                self.send_response(answer.status)
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                if answer.drip:
                    self._drip(payload, answer.drip)
                else:
                    self.wfile.write(payload)

            def _drip(self, data, every):
                for byte in data:
                    if stub.stopping.wait(every):
                        return
                    try:
                        self.wfile.write(bytes([byte]))
                        self.wfile.flush()
                    except OSError:
                        return

            do_GET = do_POST = do_DELETE = _answer

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    def route(self, prefix, answer):
        self.routes[prefix] = answer

    def answer(self, *answers):
        self.script = list(answers)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stopping.set()
        self.server.shutdown()
        self.server.server_close()
