"""A website's flows as the sequence a new subscriber lives through: one lane per audience (all
subscribers, each segment), each flow at its wait, and warnings where that sequence crowds people
or leaves them without a word for long.

A member of a segment gets the flows sent to all subscribers as well as the segment's own, so a
segment's warnings are read over both (and only those that involve one of its own flows are
told there: the rest is the all-subscribers lane's). Only enabled flows reach anyone."""

import datetime as dt
from itertools import pairwise
from typing import NamedTuple

from deliveries.queue import wait_of

HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)
# Too many at once: this many enabled flows within this time of each other.
CROWDS = ((3, DAY), (2, HOUR))
# A hole: this long without a push between two enabled flows of one audience.
HOLE = dt.timedelta(days=14)
ALL = "all"


class Lane(NamedTuple):
    audience: str  # "all" or a segment's id, as a flow's ``segment`` names it
    name: str  # the segment's name; "" for all subscribers
    flows: tuple  # its own flows, by wait


class Warning(NamedTuple):
    kind: str  # "crowd" or "hole"
    lane: Lane
    flows: tuple  # the flows it is about, by wait
    start: dt.timedelta  # from this long after subscribing ...
    end: dt.timedelta  # ... to this long


def by_wait(flows):
    return tuple(sorted(flows, key=lambda flow: (wait_of(flow.wait_time, flow.wait_time_type), flow.id)))


def lanes(flows, segments):
    """The lanes of one website: all subscribers first, then each of its ``segments``."""
    lanes = [Lane(ALL, "", by_wait(flow for flow in flows if flow.segment == ALL))]
    for segment in segments:
        own = by_wait(flow for flow in flows if flow.segment == str(segment.id))
        lanes.append(Lane(str(segment.id), segment.name, own))
    return lanes


def warnings(lanes):
    """Every lane's crowds (the widest, for each of CROWDS) and holes, lane by lane."""
    everyone = lanes[0].flows if lanes else ()
    found = []
    for lane in lanes:
        audience = lane.flows if lane.audience == ALL else by_wait((*everyone, *lane.flows))
        reached = tuple(flow for flow in audience if flow.is_enabled)
        own = {flow.id for flow in lane.flows}
        for group in _crowds(reached):
            if own & {flow.id for flow in group}:
                found.append(_warning("crowd", lane, group))
        for before, after in pairwise(reached):
            if _wait(after) - _wait(before) > HOLE and own & {before.id, after.id}:
                found.append(_warning("hole", lane, (before, after)))
    return found


def _crowds(flows):
    """The groups of flows too close together, each the widest that starts at its first flow and
    not inside a wider one already found."""
    groups = []
    for count, within in CROWDS:
        for start, first in enumerate(flows):
            group = tuple(flow for flow in flows[start:] if _wait(flow) - _wait(first) < within)
            covered = any({flow.id for flow in group} <= {flow.id for flow in other} for other in groups)
            if len(group) >= count and not covered:
                groups.append(group)
    return groups


def _wait(flow):
    return wait_of(flow.wait_time, flow.wait_time_type)


def _warning(kind, lane, flows):
    return Warning(kind, lane, flows, _wait(flows[0]), _wait(flows[-1]))
