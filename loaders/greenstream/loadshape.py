"""Residential load shapes for the synthetic data generator.

A household's power (kW) is its neighbourhood's daily shape (night base load, a
morning peak, an evening peak, more daytime use at weekends) times the household's
own scale, times per-slot noise, plus short appliance bursts and what its tariff
adds (storage heating at night on Economy 7, car charging in the evening on EV).
Meters in one neighbourhood share the shape and a day-to-day factor, so they
correlate well with each other, as SPEC §6 expects of healthy meters.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]

TARIFFS = ("standard", "economy7", "ev")
TARIFF_SHARES = (0.65, 0.25, 0.10)
FLOOR_KW = 0.03  # a fridge and standby loads never switch off


@dataclass(frozen=True)
class Neighbourhoods:
    """Shape parameters, one entry per neighbourhood."""

    base_kw: Floats
    morning_hour: Floats
    morning_kw: Floats
    evening_hour: Floats
    evening_kw: Floats
    midday_kw: Floats

    @classmethod
    def draw(cls, rng: np.random.Generator, count: int) -> Neighbourhoods:
        return cls(
            base_kw=rng.uniform(0.15, 0.30, count),
            morning_hour=rng.uniform(6.5, 8.0, count),
            morning_kw=rng.uniform(0.35, 0.65, count),
            evening_hour=rng.uniform(17.5, 19.5, count),
            evening_kw=rng.uniform(0.7, 1.2, count),
            midday_kw=rng.uniform(0.10, 0.25, count),
        )

    def shape(self, hours: Floats, weekend: bool) -> Floats:
        """Mean kW per neighbourhood (rows) at each hour of day (columns)."""
        morning = self.morning_hour[:, None] + (1.5 if weekend else 0.0)
        midday = self.midday_kw[:, None] * (2.0 if weekend else 1.0)
        return (
            self.base_kw[:, None]
            + self.morning_kw[:, None] * _bump(hours, morning, 1.1)
            + midday * _bump(hours, np.full_like(morning, 13.0), 2.5)
            + self.evening_kw[:, None] * _bump(hours, self.evening_hour[:, None], 1.8)
        )


@dataclass(frozen=True)
class Households:
    """Per-meter parameters."""

    neighbourhood: Ints
    tariff: Ints  # index into TARIFFS
    scale: Floats
    shift_hours: Floats  # 0 for a healthy meter; the profile is read this much later

    @classmethod
    def draw(cls, rng: np.random.Generator, neighbourhood: Ints) -> Households:
        count = len(neighbourhood)
        return cls(
            neighbourhood=neighbourhood,
            tariff=rng.choice(len(TARIFFS), size=count, p=TARIFF_SHARES).astype(np.int64),
            scale=rng.lognormal(0.0, 0.3, count),
            shift_hours=np.zeros(count),
        )


def day_kw(
    rng: np.random.Generator,
    areas: Neighbourhoods,
    homes: Households,
    slot_hours: Floats,
    weekend: bool,
) -> Floats:
    """Power in kW for every meter (rows) and slot of one day (columns)."""
    areas_today = len(areas.base_kw)
    day_factor = rng.normal(1.0, 0.08, areas_today)
    shapes = areas.shape(slot_hours, weekend) * day_factor[:, None]
    kw = shapes[homes.neighbourhood]
    for shift in np.unique(homes.shift_hours[homes.shift_hours != 0]):
        moved = homes.shift_hours == shift
        later = areas.shape((slot_hours + shift) % 24.0, weekend) * day_factor[:, None]
        kw[moved] = later[homes.neighbourhood[moved]]
    meters, slots = kw.shape
    kw *= homes.scale[:, None]
    kw *= rng.lognormal(0.0, 0.25, (meters, slots))
    bursts = rng.random((meters, slots)) < 0.02
    kw[bursts] += rng.uniform(0.8, 2.2, int(bursts.sum()))
    night = (slot_hours >= 0.5) & (slot_hours < 7.5)
    economy7 = homes.tariff == TARIFFS.index("economy7")
    heating = rng.uniform(0.1, 0.2, int(economy7.sum())) * homes.scale[economy7]
    kw[np.ix_(economy7, night)] += heating[:, None]
    _add_car_charging(rng, kw, homes.tariff == TARIFFS.index("ev"), slot_hours)
    return np.maximum(kw, FLOOR_KW)


def _add_car_charging(
    rng: np.random.Generator, kw: Floats, ev: npt.NDArray[np.bool_], slot_hours: Floats
) -> None:
    """Most EV owners plug in when they get home: 1.5-2.5 h at 1.8-2.6 kW from 17:30-19:00."""
    owners = np.flatnonzero(ev)
    charging = owners[rng.random(len(owners)) < 0.6]
    start = rng.uniform(17.5, 19.0, len(charging))
    length = rng.uniform(1.5, 2.5, len(charging))
    power = rng.uniform(1.8, 2.6, len(charging))
    on = (slot_hours[None, :] >= start[:, None]) & (slot_hours[None, :] < (start + length)[:, None])
    kw[charging] += on * power[:, None]


def _bump(hours: Floats, centre: Floats, width: float) -> Floats:
    """A bell around `centre` (hours), wrapping round midnight."""
    distance = np.abs(hours[None, :] - centre)
    distance = np.minimum(distance, 24.0 - distance)
    result: Floats = np.exp(-0.5 * (distance / width) ** 2)
    return result
