"""The simulated period: hourly traffic (daily and weekly rhythm, shopping festivals) and seasonal demand."""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import numpy as np
import pandas as pd

DAY = 86400
# local (UTC+8) hour-of-day and Monday..Sunday activity profiles
_HOURLY = np.array([0.35, 0.2, 0.12, 0.08, 0.07, 0.1, 0.25, 0.5, 0.75, 0.85, 0.9, 0.95, 1.05, 1.0, 0.9, 0.85,
                    0.85, 0.9, 1.0, 1.2, 1.45, 1.55, 1.35, 0.8])
_WEEKLY = np.array([0.95, 0.93, 0.95, 0.97, 1.02, 1.12, 1.15])
# shopping festivals (month, day) -> traffic multiplier; purchases convert better on them
_PROMO = {(6, 1): 1.3, (6, 16): 1.4, (6, 17): 1.5, (6, 18): 2.2, (11, 10): 1.5, (11, 11): 3.0, (12, 12): 1.8}


@dataclass
class Calendar:
    """Traffic by hour, festival days and seasonal demand over the simulated period."""

    start_s: int
    days: int
    hour_cdf: np.ndarray  # [H + 1] cumulative traffic share, hour 0 .. H
    promo: np.ndarray  # [days] bool: a festival day
    season: np.ndarray  # [days, 3] demand factor per season code (none, summer, winter)

    @property
    def end_s(self) -> int:
        return self.start_s + self.days * DAY


def make_calendar(start: pd.Timestamp, days: int) -> Calendar:
    """Hourly traffic (daily and weekly rhythm, festivals) and seasonal demand curves from the real dates."""
    dates = pd.date_range(start.normalize(), periods=days, freq="D")
    promo_mult = np.array([_PROMO.get((d.month, d.day), 1.0) for d in dates])
    weekly = _WEEKLY[dates.day_of_week.to_numpy()]
    hour_of_day = (np.arange(24) + 8) % 24  # UTC hour -> local hour
    w = (promo_mult * weekly)[:, None] * _HOURLY[hour_of_day][None, :]
    cdf = np.concatenate([[0.0], np.cumsum(w.ravel())])
    doy = dates.day_of_year.to_numpy()

    def bump(peak: int, kappa: float) -> np.ndarray:
        return cast("np.ndarray", 0.4 + 1.6 * np.exp(kappa * (np.cos(2 * np.pi * (doy - peak) / 365.25) - 1)))

    season = np.stack([np.ones(days), bump(190, 1.5), bump(355, 1.5)], axis=1)
    return Calendar(int(start.timestamp()), days, cdf / cdf[-1], promo_mult > 1.0, season)
