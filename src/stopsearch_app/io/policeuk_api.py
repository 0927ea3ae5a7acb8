"""The police.uk API (https://data.police.uk/docs/): which months a force has, and one force-month of
stop-and-search records, with timeouts on every request and retries with backoff on transient
failures; plus the folder of raw responses kept on disk, so a re-import needs no network.

httpx rather than requests: a timeout is set on every request unless switched off (requests waits
forever by default), and ``MockTransport``/a local server test it without the internet.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

DEFAULT_BASE_URL = "https://data.police.uk/api"
MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
# Connect fast or give up; a big force-month (the Met: ~15,000 searches, ~10 MB) may take a while to send.
DEFAULT_TIMEOUT = httpx.Timeout(60.0, connect=10.0)
# 429 (police.uk allows 15 requests a second) and the gateway errors are worth another try; 4xx are not.
TRANSIENT_STATUS = frozenset({408, 429, 500, 502, 503, 504})
MAX_RETRY_AFTER = 30.0


class ApiError(Exception):
    """A request that failed for good (after its retries): one line saying why."""


@dataclass(frozen=True)
class ForceMonths:
    """What /crimes-street-dates says about one force."""

    available: list[str]  # months with stop-and-search data for the force, oldest first
    unavailable: list[str]  # months the API lists, but not for this force's stop-and-search


@dataclass
class PoliceUkApi:
    base_url: str = DEFAULT_BASE_URL
    timeout: httpx.Timeout = field(default_factory=lambda: DEFAULT_TIMEOUT)
    retries: int = 3  # further tries after the first
    backoff: float = 1.0  # seconds before the first retry, doubling each time
    sleep: Callable[[float], None] = time.sleep
    transport: httpx.BaseTransport | None = None
    _client: httpx.Client | None = field(default=None, init=False, repr=False)

    def __enter__(self) -> PoliceUkApi:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    @property
    def client(self) -> httpx.Client:
        if self._client is None:
            self._client = httpx.Client(base_url=self.base_url.rstrip("/") + "/", timeout=self.timeout,
                                        transport=self.transport, follow_redirects=True,
                                        headers={"User-Agent": "stopsearch-app (stop and search charter checks)"})
        return self._client

    def force_months(self, force: str) -> ForceMonths:
        data = _json(self.get("crimes-street-dates"), "crimes-street-dates")
        if not isinstance(data, list):
            raise ApiError("crimes-street-dates: the answer is not a list of months")
        available, unavailable = [], []
        for entry in data:
            month = entry.get("date") if isinstance(entry, dict) else None
            if not isinstance(month, str) or not MONTH.match(month):
                continue
            (available if force in (entry.get("stop-and-search") or ()) else unavailable).append(month)
        return ForceMonths(sorted(set(available)), sorted(set(unavailable) - set(available)))

    def stops_force(self, force: str, month: str) -> bytes:
        """The raw body of /stops-force for one month, checked to be a JSON list of records."""
        body = self.get("stops-force", params={"force": force, "date": month})
        records = _json(body, f"stops-force {month}")
        if not isinstance(records, list):
            raise ApiError(f"stops-force {month}: the answer is not a list of searches")
        return body

    def get(self, path: str, params: dict | None = None) -> bytes:
        """GET with retries: transport errors, timeouts and TRANSIENT_STATUS are tried again after
        backoff (or the server's Retry-After); anything else fails at once."""
        last = ""
        for attempt in range(self.retries + 1):
            if attempt:
                self.sleep(wait)
            wait = self.backoff * (2 ** attempt)
            try:
                response = self.client.get(path, params=params)
            except httpx.TimeoutException as error:
                last = f"timed out ({type(error).__name__})"
                continue
            except httpx.TransportError as error:
                last = f"network error: {error or type(error).__name__}"
                continue
            if response.status_code == 200:
                return response.content
            last = f"HTTP {response.status_code} {response.reason_phrase}".rstrip()
            if response.status_code not in TRANSIENT_STATUS:
                break
            retry_after = response.headers.get("Retry-After", "")
            if retry_after.isdigit():
                wait = min(float(retry_after), MAX_RETRY_AFTER)
        tries = f" after {attempt + 1} tries" if attempt else ""
        raise ApiError(f"{path}: {last}{tries}")


def _json(body: bytes, what: str):
    try:
        return json.loads(body)
    except ValueError as error:
        raise ApiError(f"{what}: the answer is not JSON ({error})") from None


class RawCache:
    """Raw /stops-force answers, one file per force-month, named like police.uk's own files
    (``YYYY-MM-<force>-stop-and-search.json``) so ``stopsearch import FOLDER`` re-reads them offline."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    def path(self, force: str, month: str) -> Path:
        return self.folder / force / f"{month}-{force}-stop-and-search.json"

    def write(self, force: str, month: str, body: bytes) -> Path:
        """Atomically: a killed download never leaves half a file that a later import would read."""
        target = self.path(force, month)
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(body)
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return target


def months_between(first: str, last: str) -> list[str]:
    year, month = map(int, first.split("-"))
    end = tuple(map(int, last.split("-")))
    months = []
    while (year, month) <= end:
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months
