"""Fake but realistic-looking registry data: neighbourhood names, customers, addresses.

Everything here is invented; it only has to look like what a utility's customer
system exports (names with apostrophes and accents, addresses with commas).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

import numpy as np

_PLACE_STARTS = (
    "Ash", "Beech", "Birch", "Brook", "Cedar", "Clay", "Elm", "Fern", "Glen", "Hazel",
    "Holly", "Kings", "Lark", "Maple", "Mill", "Oak", "Orchard", "Park", "Queens", "River",
    "Rose", "Stone", "Thorn", "Willow", "Wood", "Marsh", "Heath", "Fox", "Bridge", "Church",
)  # fmt: skip
_PLACE_ENDS = (
    "field", "ford", "gate", "hill", "side", "wood", "dale", "ton", "bury", "croft",
    "green", "mead", "moor", "well", "worth", "stead", "brook", "leigh", "combe", "hurst",
)  # fmt: skip
_FIRST_NAMES = (
    "Olivia", "Amelia", "Isla", "Ava", "Mia", "Sophia", "Grace", "Lily", "Freya", "Zoë",
    "Aisha", "Priya", "Siobhán", "Chloé", "Hannah", "Oliver", "George", "Noah", "Arthur",
    "Leo", "Harry", "Oscar", "Jack", "Muhammad", "Rohan", "Kwame", "Tomasz", "Seán",
    "Daniel", "Samuel",
)  # fmt: skip
_LAST_NAMES = (
    "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies",
    "Patel", "Khan", "Evans", "Thomas", "Roberts", "O'Brien", "Nowak", "Müller", "Okafor",
    "Singh", "Walker", "Wright", "Thompson", "White", "Hughes", "Edwards", "Green",
    "Hall", "Wood", "Harris", "Lewis", "Martin", "Clarke", "Jackson", "Ahmed", "Murphy",
    "D'Souza",
)  # fmt: skip
_STREETS = (
    "High", "Station", "Church", "Victoria", "Green", "Manor", "Park", "Queen's",
    "Mill", "School", "North", "London", "Kingsway", "Alexandra", "York", "Albert",
    "Springfield", "Meadow", "Chestnut", "Windsor",
)  # fmt: skip
_STREET_KINDS = (
    "Road", "Street", "Lane", "Avenue", "Close", "Way", "Gardens", "Crescent", "Drive",
    "Terrace",
)  # fmt: skip
_POSTCODE_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"
_SIDES = ("", " North", " South", " East", " West", " Upper", " Lower")

REGISTRY_HEADER = ("meter_id", "neighbourhood", "tariff", "customer_id", "customer_name", "address")


def neighbourhood_names(rng: np.random.Generator, count: int) -> list[str]:
    """`count` distinct place names like `Ashford` or `Elmside North`."""
    places = [start + end for start in _PLACE_STARTS for end in _PLACE_ENDS]
    order = rng.permutation(len(places))
    names = [places[i] + side for side in _SIDES for i in order]
    rounds = -(-count // len(names))
    numbered = [f"{name} {r + 1}" if r else name for r in range(rounds) for name in names]
    return numbered[:count]


def registry_csv(
    rng: np.random.Generator,
    meter_ids: Sequence[str],
    area_of_meter: Sequence[int],
    area_names: Sequence[str],
    tariffs: Sequence[str],
) -> str:
    """The registry as CSV text (RFC 4180 quoting, `\\n` line ends)."""
    count = len(meter_ids)
    customer_numbers = rng.choice(90_000_000, size=count, replace=False) + 10_000_000
    first = rng.integers(0, len(_FIRST_NAMES), count)
    last = rng.integers(0, len(_LAST_NAMES), count)
    house = rng.integers(1, 240, count)
    street = rng.integers(0, len(_STREETS), count)
    kind = rng.integers(0, len(_STREET_KINDS), count)
    inward_digit = rng.integers(0, 10, count)
    inward_letters = rng.integers(0, len(_POSTCODE_LETTERS), (count, 2))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(REGISTRY_HEADER)
    for i in range(count):
        area = area_of_meter[i]
        postcode = (
            f"GS{area % 99 + 1} {inward_digit[i]}"
            f"{_POSTCODE_LETTERS[inward_letters[i, 0]]}{_POSTCODE_LETTERS[inward_letters[i, 1]]}"
        )
        writer.writerow(
            (
                meter_ids[i],
                area_names[area],
                tariffs[i],
                f"C{customer_numbers[i]}",
                f"{_FIRST_NAMES[first[i]]} {_LAST_NAMES[last[i]]}",
                f"{house[i]} {_STREETS[street[i]]} {_STREET_KINDS[kind[i]]}, "
                f"{area_names[area]}, {postcode}",
            )
        )
    return buffer.getvalue()
