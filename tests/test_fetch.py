"""``stopsearch fetch`` against a local server replaying real police.uk API answers (never the internet)."""

from __future__ import annotations

import json

import httpx
import pytest

from stopsearch_app.services.cli import main
from stopsearch_app.services.fetch import FetchRefused, fetch_force, plan_months
from stopsearch_app.io.policeuk_api import ApiError, PoliceUkApi
from stopsearch_app.store.queries import stats
from tests.fake_policeuk import FORCE, FakePoliceUk


@pytest.fixture
def api_server():
    with FakePoliceUk() as server:
        yield server


def run(capsys, *argv) -> tuple[int, dict, str]:
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, json.loads(captured.out), captured.err


def test_fetch_imports_every_served_record_and_a_second_fetch_adds_nothing(api_server, db_url, tmp_path, capsys):
    argv = ["fetch", "--force", FORCE, "--from", "2023-01", "--to", "2024-01", "--base-url", api_server.base_url,
            "--cache", str(tmp_path / "raw"), "--db", db_url, "--json"]
    status, first, err = run(capsys, *argv)
    assert status == 0, err
    assert err == ""  # --json: no progress bar, nothing else
    assert first["months_fetched"] == ["2023-01", "2023-07", "2024-01"]
    assert first["months_failed"] == []
    # listed by /crimes-street-dates, but not for this force: skipped and named
    assert first["months_unavailable"] == [m for m in first["months_requested"] if m not in first["months_fetched"]]
    assert "2023-12" in first["months_unavailable"]
    served = api_server.served_records()
    assert served == 165 + 53 + 72
    assert first["imported"] == served and first["quarantined"] == 0 and first["duplicates"] == 0
    assert [f["rows_read"] for f in first["files"]] == [165, 53, 72]
    assert {f["force"] for f in first["files"]} == {FORCE}

    status, second, err = run(capsys, *argv)
    assert status == 0, err
    assert second["imported"] == 0 and second["duplicates"] == served

    from stopsearch_app.store.database import open_database

    engine = open_database(db_url)
    try:
        loaded = stats(engine)
        assert loaded.records == served
        assert loaded.forces == [FORCE]
    finally:
        engine.dispose()


def test_the_raw_answers_re_import_without_the_network(api_server, db_url, tmp_path, capsys):
    raw = tmp_path / "raw"
    status, fetched, _ = run(capsys, "fetch", "--force", FORCE, "--from", "2023-01", "--to", "2024-01",
                             "--base-url", api_server.base_url, "--cache", str(raw), "--db", db_url, "--json")
    assert status == 0
    files = sorted(p.name for p in (raw / FORCE).iterdir())
    assert files == [f"{m}-{FORCE}-stop-and-search.json" for m in ("2023-01", "2023-07", "2024-01")]
    other = f"sqlite:///{tmp_path / 'other.db'}"
    status, imported, _ = run(capsys, "import", str(raw), "--db", other, "--json")
    assert status == 0
    assert imported["imported"] == fetched["imported"]  # the force comes from the file names
    assert {f["force"] for f in imported["files"]} == {FORCE}


def test_a_502_month_is_named_the_others_land_and_fetching_again_completes_it(api_server, engine, tmp_path):
    api_server.fail["2023-07"] = 502
    waits: list[float] = []
    api = PoliceUkApi(base_url=api_server.base_url, retries=2, backoff=0.25, sleep=waits.append)
    report = fetch_force(engine, FORCE, "2023-01", "2024-01", api=api, cache_folder=tmp_path / "raw")
    assert report.months_fetched == ["2023-01", "2024-01"]
    assert [item["month"] for item in report.months_failed] == ["2023-07"]
    assert "HTTP 502" in report.months_failed[0]["error"] and "3 tries" in report.months_failed[0]["error"]
    assert waits == [0.25, 0.5]  # backoff doubles
    assert report.imports.imported == 165 + 72
    assert not (tmp_path / "raw" / FORCE / f"2023-07-{FORCE}-stop-and-search.json").exists()

    del api_server.fail["2023-07"]
    again = fetch_force(engine, FORCE, "2023-01", "2024-01", api=PoliceUkApi(base_url=api_server.base_url),
                        cache_folder=tmp_path / "raw")
    assert again.months_failed == []
    assert again.imports.imported == 53 and again.imports.duplicates == 165 + 72
    assert stats(engine).records == api_server.served_records()


def test_cli_names_the_failed_month_and_exits_1(api_server, db_url, tmp_path, capsys):
    api_server.fail["2024-01"] = 502
    status, result, err = run(capsys, "fetch", "--force", FORCE, "--from", "2023-07", "--to", "2024-01",
                              "--retries", "0", "--base-url", api_server.base_url, "--cache", str(tmp_path),
                              "--db", db_url, "--json")
    assert status == 1
    assert result["months_failed"] == [{"month": "2024-01", "error": "stops-force: HTTP 502 Bad Gateway"}]
    assert result["months_fetched"] == ["2023-07"] and result["imported"] == 53
    assert err.count("\n") == 1 and "2024-01" in err


def test_without_months_it_fetches_the_latest(api_server, engine, tmp_path):
    report = fetch_force(engine, FORCE, api=PoliceUkApi(base_url=api_server.base_url), cache_folder=tmp_path)
    assert report.months_requested == ["2024-01"] and report.months_fetched == ["2024-01"]
    assert report.imports.imported == 72


def test_bad_requests_are_one_line_errors(api_server, db_url, tmp_path, capsys):
    for argv, words in (
        (["--force", "Not A Slug!"], "not a police.uk force slug"),
        (["--force", FORCE, "--from", "2023-13"], "not a month"),
        (["--force", FORCE, "--from", "2024-01", "--to", "2023-01"], "is after"),
        (["--force", "no-such-force"], "no stop-and-search months for 'no-such-force'"),
    ):
        status = main(["fetch", *argv, "--base-url", api_server.base_url, "--cache", str(tmp_path), "--db", db_url])
        err = capsys.readouterr().err
        assert status == 1, argv
        assert words in err and err.count("\n") == 1, err


def test_an_unreachable_server_is_a_clear_error(db_url, tmp_path, capsys):
    with FakePoliceUk() as server:
        base = server.base_url  # a port nobody listens on once the server is gone
    status = main(["fetch", "--force", FORCE, "--retries", "0", "--base-url", base, "--cache", str(tmp_path),
                   "--db", db_url])
    err = capsys.readouterr().err
    assert status == 1
    assert "cannot get the list of months from police.uk" in err and "network error" in err


def test_transient_failures_are_retried_and_timeouts_reported():
    answers = iter([httpx.Response(503), httpx.Response(429, headers={"Retry-After": "2"}),
                    httpx.Response(200, content=b"[]")])
    waits: list[float] = []
    api = PoliceUkApi(base_url="http://test/api", backoff=0.1, sleep=waits.append,
                      transport=httpx.MockTransport(lambda request: next(answers)))
    assert api.stops_force(FORCE, "2024-01") == b"[]"
    assert waits == [0.1, 2.0]  # the server's Retry-After wins over the backoff

    def slow(request):
        raise httpx.ReadTimeout("read timed out", request=request)

    api = PoliceUkApi(base_url="http://test/api", retries=1, sleep=lambda s: None, transport=httpx.MockTransport(slow))
    with pytest.raises(ApiError, match="timed out .* after 2 tries"):
        api.stops_force(FORCE, "2024-01")

    calls = []
    api = PoliceUkApi(base_url="http://test/api", sleep=lambda s: None,
                      transport=httpx.MockTransport(lambda r: calls.append(r) or httpx.Response(404)))
    with pytest.raises(ApiError, match="HTTP 404"):
        api.stops_force(FORCE, "2024-01")
    assert len(calls) == 1  # a 404 is not tried again


def test_a_200_that_is_not_json_is_a_failed_month():
    api = PoliceUkApi(base_url="http://test/api",
                      transport=httpx.MockTransport(lambda r: httpx.Response(200, content=b"<html>maintenance</html>")))
    with pytest.raises(ApiError, match="not JSON"):
        api.stops_force(FORCE, "2024-01")


def test_plan_months():
    available = ["2023-01", "2023-02", "2023-03"]
    assert plan_months(available, None, None) == ["2023-03"]
    assert plan_months(available, "2023-02", None) == ["2023-02", "2023-03"]
    assert plan_months(available, None, "2023-01") == ["2023-01"]
    assert plan_months(available, "2022-12", "2023-01") == ["2022-12", "2023-01"]
    with pytest.raises(FetchRefused):
        plan_months(available, "2023-3", None)
