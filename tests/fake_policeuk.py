"""A local stand-in for the police.uk API on 127.0.0.1, replaying real API answers (the police.uk
JSON files in resources/data/policeuk), so fetch tests never touch the internet."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

from stopsearch_app.resources import resource_path

FORCE = "leicestershire"


def _records(name: str, force_id: str | None = None) -> list[dict]:
    records = json.loads(resource_path("data", "policeuk", name).read_bytes())
    return [r for r in records if force_id is None or r.get("force_id") == force_id]


def served_months() -> dict[str, bytes]:
    """Three real months for one force, as /stops-force answers them (a JSON list of searches)."""
    return {
        "2023-01": json.dumps(_records("Fideladdi_Analyzing-SaS-London__stops-Jan2023_API.json")).encode(),
        "2023-07": json.dumps(_records("angrybat_PoliceStopAndSearch__stop_and_searches_without_location.json")).encode(),
        "2024-01": json.dumps(_records("angrybat_PoliceStopAndSearch__stop_and_searches_2024-01.json",
                                       FORCE)).encode(),
    }


class FakePoliceUk:
    """``months``: month -> body for FORCE; every month from 2023-01 to 2024-01 is listed by
    /crimes-street-dates, FORCE only in ``months``. ``fail``: month -> HTTP status to answer instead."""

    def __init__(self) -> None:
        self.months = served_months()
        self.fail: dict[str, int] = {}
        self.requests: list[str] = []
        self.delay = 0.0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # keep the test output clean
                pass

            def do_GET(self) -> None:
                url = urlparse(self.path)
                query = {key: values[0] for key, values in parse_qs(url.query).items()}
                outer.requests.append(self.path)
                if outer.delay:
                    threading.Event().wait(outer.delay)
                if url.path == "/api/crimes-street-dates":
                    listed = [{"date": f"{year}-{month:02d}",
                               "stop-and-search": (["city-of-london", FORCE] if f"{year}-{month:02d}" in outer.months
                                                   else ["city-of-london"])}
                              for year, month in [(2024, 1)] + [(2023, m) for m in range(12, 0, -1)]]
                    return self._send(200, json.dumps(listed).encode())
                if url.path == "/api/stops-force" and query.get("force") == FORCE:
                    month = query.get("date", "")
                    if month in outer.fail:
                        return self._send(outer.fail[month], b"<html>Bad Gateway</html>")
                    if month in outer.months:
                        return self._send(200, outer.months[month])
                self._send(404, b"not found")

            def _send(self, status: int, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json" if status == 200 else "text/html")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}/api"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def served_records(self) -> int:
        return sum(len(json.loads(body)) for body in self.months.values())

    def __enter__(self) -> FakePoliceUk:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(5)
