"""Stratified randomisation to the HB arm and the control arm: a pure function of the members and the seed.

Algorithm (also in docs/research.md):

1. Members are grouped into strata by (organiser code, target group).
2. Each stratum gets its own generator, ``random.Random(f"{seed}:{organiser}:{target group}")``. Python seeds a
   ``random.Random`` from a string through SHA-512 (seeding version 2, stable since Python 3.2), and the Mersenne
   Twister and ``shuffle`` are specified, so the same seed gives the same allocation on any machine. A stratum's
   allocation does not depend on the other strata, so adding a stratum never moves anyone in another.
3. Within a stratum the members are sorted by their key (the client id), shuffled, and given the arms in turn
   HB, control, HB, control… starting from an arm drawn with the same generator. The arms of a stratum therefore
   differ in size by at most one, and which arm gets the odd member is random too.
"""

import random
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

HB = "hb"
CONTROL = "control"


@dataclass(frozen=True)
class Member:
    key: int  # the client id: unique within a study
    organiser: str  # the organiser's code
    target_group: str

    @property
    def stratum(self) -> tuple[str, str]:
        return (self.organiser, self.target_group)


def allocate(members: Iterable[Member], seed: int) -> dict[int, str]:
    """The arm of each member's key: ``{key: "hb" | "control"}``, balanced within each stratum."""
    strata: dict[tuple[str, str], list[Member]] = defaultdict(list)
    for member in members:
        strata[member.stratum].append(member)
    arms: dict[int, str] = {}
    for (organiser, target_group), group in sorted(strata.items()):
        rng = random.Random(f"{seed}:{organiser}:{target_group}")
        keys = sorted(member.key for member in group)
        rng.shuffle(keys)
        order = (HB, CONTROL) if rng.random() < 0.5 else (CONTROL, HB)
        for position, key in enumerate(keys):
            arms[key] = order[position % 2]
    return arms
