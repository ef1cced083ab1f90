"""Rollups: per site and local hour, day and month, the counts the stats layer adds up instead of raw rows.

Day rows exist for the whole site and for every value of every stats property (page, entry and
exit page, source, referrer, UTM fields, country, browser, OS, device, event name, custom
property values), and, within each page, for the values of the properties an article's page
breaks down by (stats.dimensions.WITHIN_PAGES); hour rows for the whole site; month rows are summed
from day rows. All are in the site's time zone. Which properties are rolled up, and how rows are
named, is declared in stats/dimensions.py, which the readers read too.

grouping.py reads and groups a day's events, rows.py writes the rows, and fill.py keeps the fill
state and runs it all.

A fill state per site (`RollupState.rolled_until`) says how far the rollups got, as Zulip's
analytics does: a run rolls up the local days completed since, and days marked dirty
(`RollupDirty`) because late events or a continued visit changed them. Re-running finds
nothing to do. The pipeline marks days dirty in the transaction that stores their events, and
moving the fill state takes the site's lock, which every batch of the site's shares, so no stored
event is missed.

Unique visitors and visits over several days: a row also counts the visitors (and the visits,
with their bounces and durations) that were in the same group on the day before. A range then
holds Σ visitors - Σ carried over its days but the first: exact whenever a visitor hash meets a
value on consecutive days only, which holds because hashes rotate daily and a visit ends after
30 minutes without events. Only a single visit lasting over a day could break it.
"""

from tracker.rollups.fill import RollupResult, analyze_rollups, local_day, mark_dirty, roll_up_all, roll_up_site

__all__ = ["RollupResult", "analyze_rollups", "local_day", "mark_dirty", "roll_up_all", "roll_up_site"]
