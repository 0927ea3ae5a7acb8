"""Boroughs from coordinates (domain/places.py) against an independent point-in-polygon count and
against landmarks whose borough anyone can check on a map."""

from __future__ import annotations

import json
from pathlib import Path
from functools import cache

import numpy as np
import pandas as pd
import pytest

from stopsearch_app.domain.places import london_boroughs
from stopsearch_app.resources import resource_path
from tests.conftest import POLICEUK

MET_FILE = POLICEUK / "kostis-christodoulou_am10.mam2023__2022-09-metropolitan-stop-and-search.csv"

# Places whose borough is not in doubt (stations, town halls, landmarks; WGS84, checked by hand
# against the GLA boundaries and a street map), far enough from any boundary that snapping cannot move them.
LANDMARKS = [
    ("Brixton station", 51.4627, -0.1145, "Lambeth"), ("Lambeth Town Hall", 51.4610, -0.1160, "Lambeth"),
    ("Trafalgar Square", 51.5080, -0.1281, "Westminster"), ("Oxford Circus", 51.5152, -0.1418, "Westminster"),
    ("Bank of England", 51.5142, -0.0885, "City of London"), ("St Paul's Cathedral", 51.5138, -0.0984, "City of London"),
    ("Stratford station", 51.5416, -0.0034, "Newham"), ("Peckham Rye station", 51.4700, -0.0694, "Southwark"),
    ("Croydon Town Hall", 51.3722, -0.1000, "Croydon"), ("Tottenham Hale station", 51.5882, -0.0600, "Haringey"),
    ("Wembley Stadium", 51.5560, -0.2796, "Brent"), ("Ealing Broadway station", 51.5150, -0.3017, "Ealing"),
    ("Heathrow Terminal 5", 51.4723, -0.4887, "Hillingdon"), ("Romford station", 51.5750, 0.1830, "Havering"),
    ("Bromley South station", 51.3999, 0.0173, "Bromley"), ("Kingston station", 51.4125, -0.3011, "Kingston upon Thames"),
    ("Richmond station", 51.4631, -0.3013, "Richmond upon Thames"), ("Sutton station", 51.3594, -0.1912, "Sutton"),
    ("Wimbledon station", 51.4214, -0.2064, "Merton"), ("Clapham Junction", 51.4643, -0.1704, "Wandsworth"),
    ("Hackney Central station", 51.5472, -0.0561, "Hackney"), ("Angel station", 51.5322, -0.1058, "Islington"),
    ("Camden Town station", 51.5392, -0.1426, "Camden"), ("Canary Wharf", 51.5054, -0.0235, "Tower Hamlets"),
    ("Lewisham station", 51.4657, -0.0142, "Lewisham"), ("Greenwich station", 51.4781, -0.0149, "Greenwich"),
    ("Walthamstow Central", 51.5830, -0.0197, "Waltham Forest"), ("Ilford station", 51.5592, 0.0686, "Redbridge"),
    ("Barking station", 51.5396, 0.0810, "Barking and Dagenham"), ("Bexleyheath Broadway", 51.4567, 0.1430, "Bexley"),
    ("Enfield Town station", 51.6521, -0.0795, "Enfield"), ("Barnet Hospital", 51.6508, -0.2140, "Barnet"),
    ("Harrow-on-the-Hill station", 51.5793, -0.3366, "Harrow"), ("Hounslow Central station", 51.4713, -0.3665, "Hounslow"),
    ("Shepherd's Bush station", 51.5046, -0.2187, "Hammersmith and Fulham"),
    ("Kensington High Street", 51.5009, -0.1925, "Kensington and Chelsea"),
    ("Birmingham New Street", 52.4778, -1.8983, None), ("Watford Junction", 51.6636, -0.3966, None),
]


@cache
def _polygons() -> dict[str, list[np.ndarray]]:
    data = json.loads(resource_path("geo", "london-boroughs.geojson").read_text(encoding="utf-8"))
    rings: dict[str, list[np.ndarray]] = {}
    for feature in data["features"]:
        geometry = feature["geometry"]
        polygons = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
        rings[feature["properties"]["name"]] = [np.asarray(ring, dtype=float) for polygon in polygons for ring in polygon]
    return rings


def inside_borough(name: str, latitude, longitude) -> np.ndarray:
    """Even-odd ray casting over every ring of the borough (holes count by parity): no shapely."""
    lat = np.asarray(latitude, dtype=float)
    lon = np.asarray(longitude, dtype=float)
    inside = np.zeros(lat.shape, dtype=bool)
    for ring in _polygons()[name]:
        x1, y1 = ring[:-1, 0], ring[:-1, 1]
        x2, y2 = ring[1:, 0], ring[1:, 1]
        for a, b, c, d in zip(x1, y1, x2, y2, strict=True):
            crosses = ((b > lat) != (d > lat)) & (lon < (c - a) * (lat - b) / np.where(d != b, d - b, 1) + a)
            inside ^= crosses
    return inside & np.isfinite(lat) & np.isfinite(lon)


def place_all(latitude, longitude) -> np.ndarray:
    """Index into london_boroughs().boroughs by ray casting, -1 where in none."""
    names = [borough.name for borough in london_boroughs().boroughs]
    result = np.full(len(latitude), -1)
    for index, name in enumerate(names):
        result[(result < 0) & inside_borough(name, latitude, longitude)] = index
    return result


@pytest.mark.parametrize(("place", "lat", "lon", "borough"), LANDMARKS, ids=[row[0] for row in LANDMARKS])
def test_landmarks_fall_in_their_borough(place, lat, lon, borough):
    assert london_boroughs().names([lat], [lon])[0] == borough


def test_the_met_file_placed_as_an_independent_point_in_polygon_count():
    frame = pd.read_csv(MET_FILE)
    latitude, longitude = frame["Latitude"].to_numpy(), frame["Longitude"].to_numpy()
    ours = london_boroughs().place(latitude, longitude)
    theirs = place_all(latitude, longitude)
    # Points exactly on a boundary may go either way (shapely counts the boundary, ray casting
    # does not); there are none or nearly none among real snap points.
    agree = (ours == theirs).mean()
    assert agree >= 0.999, agree
    lambeth = [b.name for b in london_boroughs().boroughs].index("Lambeth")
    assert (ours == lambeth).sum() == inside_borough("Lambeth", latitude, longitude).sum()
    located = np.isfinite(latitude)
    assert (ours[~located] == -1).all() and (ours[located] >= 0).mean() > 0.99


def test_blank_and_bad_coordinates_are_not_placed():
    index = london_boroughs()
    assert list(index.place([np.nan, 51.5, 0.0, 91.0], [np.nan, np.nan, 0.0, -0.1])) == [-1, -1, -1, -1]
    assert index.find("hammersmith & fulham").gss_code == "E09000013"
    assert index.find("E09000022").name == "Lambeth" and index.find("Narnia") is None


def test_the_record_filter_finds_a_borough_of_police_uk_records(engine, met_file):
    from stopsearch_app.domain.selection import Selection
    from stopsearch_app.store.queries import Labels, RecordQuery, matching_ids
    from tests.helpers import import_paths

    import_paths(engine, met_file)
    frame = pd.read_csv(MET_FILE)
    expected = int(inside_borough("Lambeth", frame["Latitude"].to_numpy(), frame["Longitude"].to_numpy()).sum())
    ids = matching_ids(engine, RecordQuery(Selection.all_searches(boroughs=("Lambeth",))), Labels(engine))
    assert len(ids) == expected == 428


def test_the_migration_places_records_of_an_older_database(db_url, met_file):
    """A database imported before revision 0004 gets its boroughs and its coverage from the migration."""
    from alembic import command
    from sqlalchemy import func, inspect, select, text

    from stopsearch_app.store import coverage
    from stopsearch_app.store.database import _alembic_config, make_engine, migrate
    from stopsearch_app.store.schema import search
    from tests.helpers import import_paths

    engine = make_engine(db_url)
    migrate(engine)
    import_paths(engine, met_file)
    config = _alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0003")
    with engine.begin() as connection:
        assert "geo_borough_id" not in [column["name"] for column in inspect(connection).get_columns("search")]
    migrate(engine)
    with engine.connect() as connection:
        placed = connection.execute(select(func.count()).select_from(search)
                                    .where(search.c.geo_borough_id.is_not(None))).scalar_one()
        assert connection.execute(text("SELECT count(*) FROM force_month_coverage")).scalar_one() == 1
    frame = pd.read_csv(MET_FILE)
    assert placed == int((place_all(frame["Latitude"].to_numpy(), frame["Longitude"].to_numpy()) >= 0).sum())
    assert coverage.load(engine).entry("metropolitan", "2022-09").counts.records == 12_447
    engine.dispose()


CITY_API_MONTH = POLICEUK / "Fideladdi_Analyzing-SaS-London__stops-Jan2023_API.json"
STREETS_BY_HAND = Path(__file__).parent / "data" / "city-2023-01-streets-by-hand.csv"


def test_a_real_api_month_placed_as_its_streets_say(engine):
    """Every located record of a real API month (the City of London, January 2023), placed at import,
    against the borough of the street police.uk names for its snap point, labelled by hand from a
    street map (tests/data/city-2023-01-streets-by-hand.csv says how each is known; a boundary
    street accepts either side). Records whose snap point has no street name are not labelled."""
    from stopsearch_app.store.frames import load_records
    from tests.helpers import import_paths

    import_paths(engine, CITY_API_MONTH, force="city-of-london")
    records = load_records(engine)
    raw = json.loads(CITY_API_MONTH.read_text())
    street_at = {(round(float(r["location"]["latitude"]), 6), round(float(r["location"]["longitude"]), 6)):
                 r["location"]["street"]["name"].removeprefix("On or near ").strip()
                 for r in raw if r.get("location")}
    by_hand = pd.read_csv(STREETS_BY_HAND).set_index("street")["boroughs"].str.split("|")
    located = records[records["latitude"].notna()]
    assert len(located) == sum(1 for r in raw if r.get("location")) == 103
    labelled = agree = 0
    disagreements = []
    for latitude, longitude, placed in located[["latitude", "longitude", "geo_borough"]].itertuples(index=False):
        street = street_at[(round(latitude, 6), round(longitude, 6))]
        if not street:
            continue
        assert street in by_hand.index, f"street {street!r} of the real file has no label by hand"
        labelled += 1
        if placed in by_hand[street]:
            agree += 1
        else:
            disagreements.append((street, placed, by_hand[street]))
    assert labelled >= 80, labelled
    assert agree / labelled >= 0.97, disagreements
