"""The allocation is a pure function of the members and the seed, balanced within each stratum."""

from collections import Counter

from avain.research.randomisation import CONTROL, HB, Member, allocate

MEMBERS = [
    Member(key, organiser, group)
    for key, (organiser, group) in enumerate(
        [("eksote", "adults")] * 21 + [("eksote", "families")] * 10 + [("kainuu", "adults")] * 7 + [("kainuu", "aftercare")]
    )
]


def test_the_same_seed_gives_the_same_allocation_whatever_the_order_of_the_members():
    assert allocate(MEMBERS, 12345) == allocate(list(reversed(MEMBERS)), 12345)


def test_a_different_seed_gives_a_different_allocation():
    assert allocate(MEMBERS, 12345) != allocate(MEMBERS, 54321)


def test_every_member_gets_an_arm_and_the_arms_are_balanced_within_every_stratum():
    for seed in range(50):
        arms = allocate(MEMBERS, seed)
        assert set(arms) == {m.key for m in MEMBERS}
        assert set(arms.values()) <= {HB, CONTROL}
        by_stratum = Counter((m.stratum, arms[m.key]) for m in MEMBERS)
        for stratum in {m.stratum for m in MEMBERS}:
            assert abs(by_stratum[(stratum, HB)] - by_stratum[(stratum, CONTROL)]) <= 1, (seed, stratum)


def test_a_stratum_keeps_its_allocation_when_another_stratum_is_added():
    eksote = [m for m in MEMBERS if m.organiser == "eksote"]
    alone = allocate(eksote, 7)
    together = allocate(MEMBERS, 7)
    assert {key: together[key] for key in alone} == alone


def test_the_odd_member_of_a_stratum_goes_to_either_arm_depending_on_the_seed():
    single = [Member(1, "eksote", "adults")]
    assert {allocate(single, seed)[1] for seed in range(20)} == {HB, CONTROL}
