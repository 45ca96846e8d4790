"""The burst scenario of bench/burst.py at CI size: two gunicorn instances, two workers and
an SMTP sink on one PostgreSQL database, many people signing up and cancelling at once."""

from collections import Counter

import pytest

from bench import burst

SIGNUPS, CAPACITY, CANCELS = 120, 30, 5

pytestmark = pytest.mark.burst


@pytest.mark.parametrize("hybrid", [False, True], ids=["plain", "hybrid"])
def test_burst_over_two_instances_fills_seats_once_and_mails_everyone_once(postgres_url, hybrid):
    result = burst.run(
        postgres_url,
        signups=SIGNUPS,
        capacity=CAPACITY,
        cancels=CANCELS,
        processes=3,
        threads=4,
        hybrid=hybrid,
    )
    print("\n" + result.summary())
    # A hybrid seminar's room holds like a plain seminar's seats.
    assert result.modes == Counter({"onsite": SIGNUPS})

    assert result.failures == []
    assert result.statuses == Counter({200: SIGNUPS})  # every signup answered, no 5xx
    assert (result.confirmed, result.waiting) == (CAPACITY, SIGNUPS - CAPACITY)
    assert result.arrival_order_kept
    assert result.duplicates == 0
    assert result.mails_per_person == Counter({1: SIGNUPS})

    assert result.cancel_statuses == Counter({303: CANCELS})
    assert result.promoted == CANCELS
    assert result.promoted_in_order
    assert result.promotion_mails == CANCELS
    assert result.confirmed_after_cancels == CAPACITY
