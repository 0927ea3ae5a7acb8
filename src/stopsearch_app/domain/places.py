"""Boroughs from coordinates (shared/spec/statistics.md, "Places").

police.uk records carry anonymised snap-point coordinates, not boroughs. Each located record is
placed in one of London's 33 local authorities (32 boroughs and the City of London) by point in
polygon against the GLA boundaries shipped in ``resources/geo/london-boroughs.geojson`` (OGL; the
attribution is in ``resources/geo/README.md``). It is done once, at import, and stored with the
record (``search.geo_borough_id``).

Speed: each prepared borough polygon tests the points inside its bounding box with
:func:`shapely.intersects_xy` (vectorised, 0.3 s per million points), after a cut to London's
bounding box that drops points outside London at array speed (most of a national load).
A point on a shared boundary (snap points often are: they sit on streets, and streets can be
boundaries) is given to the first borough in GSS-code order that covers it, so every point has at
most one borough; the chart notes say snap points near a boundary can fall on the wrong side.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd
import shapely

from stopsearch_app.resources import resource_path

BOUNDARIES = ("geo", "london-boroughs.geojson")
BOUNDARY_ATTRIBUTION = ("Contains National Statistics data © Crown copyright and database right 2015. "
                        "Contains Ordnance Survey data © Crown copyright and database right 2015.")
NEAR_BOUNDARY_NOTE = ("Boroughs come from police.uk's anonymised snap points by point in polygon (GLA borough "
                      "boundaries); a snap point near a boundary can fall on the wrong side of it.")
CITY_OF_LONDON_GSS = "E09000001"


@dataclass(frozen=True)
class Borough:
    name: str
    gss_code: str


class BoroughIndex:
    """The London boroughs' polygons with a spatial index; :meth:`place` places many points at once."""

    def __init__(self, boroughs: list[Borough], polygons: list) -> None:
        order = np.argsort([borough.gss_code for borough in boroughs], kind="stable")
        self.boroughs = tuple(boroughs[i] for i in order)
        self._polygons = [polygons[i] for i in order]
        for polygon in self._polygons:
            shapely.prepare(polygon)
        self._polygon_bounds = [polygon.bounds for polygon in self._polygons]
        self._bounds = shapely.total_bounds(self._polygons)  # min lon, min lat, max lon, max lat
        self._by_name = {_key(borough.name): borough for borough in self.boroughs}
        self._by_name.update({_key(borough.gss_code): borough for borough in self.boroughs})

    @classmethod
    def from_geojson(cls, text: str) -> BoroughIndex:
        data = json.loads(text)
        boroughs, polygons = [], []
        for feature in data["features"]:
            properties = feature["properties"]
            boroughs.append(Borough(str(properties["name"]).strip(), str(properties["gss_code"]).strip()))
            polygons.append(shapely.geometry.shape(feature["geometry"]))
        return cls(boroughs, polygons)

    def place(self, latitude, longitude) -> np.ndarray:
        """Index into :attr:`boroughs` for each point, -1 where it is outside London or not located."""
        lat = np.asarray(latitude, dtype=np.float64)
        lon = np.asarray(longitude, dtype=np.float64)
        result = np.full(lat.shape, -1, dtype=np.int16)
        min_lon, min_lat, max_lon, max_lat = self._bounds
        candidate = (np.isfinite(lat) & np.isfinite(lon) & (lon >= min_lon) & (lon <= max_lon)
                     & (lat >= min_lat) & (lat <= max_lat))
        # One prepared polygon at a time over the points inside its bounding box (measured: 0.3 s per
        # million points, against 22 s for an STRtree query over the same points). A point already
        # placed is not tested again, so a boundary point goes to the lowest GSS code.
        for index, polygon in enumerate(self._polygons):
            west, south, east, north = self._polygon_bounds[index]
            positions = np.flatnonzero(candidate & (lon >= west) & (lon <= east) & (lat >= south) & (lat <= north))
            if len(positions):
                inside = shapely.intersects_xy(polygon, lon[positions], lat[positions])
                result[positions[inside]] = index
                candidate[positions[inside]] = False
        return result

    def names(self, latitude, longitude) -> np.ndarray:
        """Borough name per point (object array; None where not placed)."""
        lookup = np.array([borough.name for borough in self.boroughs] + [None], dtype=object)
        return lookup[self.place(latitude, longitude)]  # -1 takes the trailing None

    def categorical(self, latitude, longitude) -> pd.Categorical:
        """Borough name per point as a categorical of the boroughs present (blank where not placed)."""
        names = pd.Index([borough.name for borough in self.boroughs], dtype=object)
        return pd.Categorical.from_codes(self.place(latitude, longitude), categories=names).remove_unused_categories()

    def find(self, name_or_code: str) -> Borough | None:
        """The borough called ``name_or_code`` (case-insensitive, ``&`` = ``and``) or with that GSS code."""
        return self._by_name.get(_key(name_or_code))


def _key(text: str) -> str:
    return " ".join(str(text).replace("&", " and ").casefold().split())


@cache
def london_boroughs() -> BoroughIndex:
    """The shipped GLA boundaries (read once per process)."""
    return BoroughIndex.from_geojson(resource_path(*BOUNDARIES).read_text(encoding="utf-8"))


def place_in_boroughs(records: pd.DataFrame) -> None:
    """The London borough of each located record (statistics.md "Places"), as ``geo_borough``."""
    if "latitude" in records and "longitude" in records:
        records["geo_borough"] = london_boroughs().categorical(
            pd.to_numeric(records["latitude"], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan),
            pd.to_numeric(records["longitude"], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan))
