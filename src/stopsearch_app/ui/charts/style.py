"""Colours and sizes shared by every chart."""

from __future__ import annotations

from stopsearch_app.store.aggregates import UNKNOWN


# Okabe & Ito (2008), "Color Universal Design": distinguishable with every common colour-vision
# deficiency. Yellow is left out (unreadable on white); unknown ethnicity is a neutral grey.
OKABE_ITO = {"orange": "#E69F00", "sky_blue": "#56B4E9", "bluish_green": "#009E73", "yellow": "#F0E442",
             "blue": "#0072B2", "vermillion": "#D55E00", "reddish_purple": "#CC79A7", "black": "#000000"}
GROUP_COLOURS = {"White": OKABE_ITO["blue"], "Black": OKABE_ITO["vermillion"], "Asian": OKABE_ITO["bluish_green"],
                 "Mixed": OKABE_ITO["reddish_purple"], "Other": OKABE_ITO["orange"], UNKNOWN: "#8C8C8C"}
SENSITIVITY_COLOUR = "#8C8C8C"
TEXT_COLOUR = "#1A1A1A"
BAR_WIDTH = 0.6
