"""Mapping simulated seconds to wall-clock time: the first day starts at local midnight."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

LOCAL_ZONE = "Europe/Oslo"


def start_epoch(start: dt.date) -> float:
    """UNIX time of local midnight (Norwegian time) on the scenario's first day.

    The simulation clock is local time from that midnight on; daylight-saving changes within
    a run are not modelled (hours of the day in profiles and shifts stay fixed).
    """
    try:
        zone: dt.tzinfo = ZoneInfo(LOCAL_ZONE)
    except ZoneInfoNotFoundError:
        zone = dt.timezone(dt.timedelta(hours=1))
    return dt.datetime.combine(start, dt.time(0, 0), tzinfo=zone).timestamp()
