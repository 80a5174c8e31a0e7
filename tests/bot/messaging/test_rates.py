"""The platforms' limits as the outbox keeps them (bot/messaging/rates.py)."""

import pytest

from bot.channels.base import RateLimit
from bot.messaging.rates import RateLimits, TokenBucket


def test_the_rate_limit_allows_a_burst_then_a_steady_rate() -> None:
    now = [0.0]
    bucket = TokenBucket(rate=1.0, burst=3, clock=lambda: now[0])
    assert [bucket.reserve() for _ in range(3)] == [0, 0, 0]
    assert bucket.reserve() == pytest.approx(1.0)
    assert bucket.reserve() == pytest.approx(2.0), "reservations queue up"
    now[0] = 10.0
    assert bucket.idle()
    assert bucket.reserve() == 0


def test_a_broadcast_takes_only_free_capacity_and_never_delays_a_reservation() -> None:
    now = [0.0]
    bucket = TokenBucket(rate=10.0, burst=2, clock=lambda: now[0])
    assert bucket.try_take() == 0 and bucket.try_take() == 0
    assert bucket.try_take() == pytest.approx(0.1), "none free: nothing taken, the wait said"
    assert bucket.reserve() == pytest.approx(0.1), "a reservation after it is not delayed by it"
    now[0] += 0.05
    assert bucket.try_take() > 0, "the reservation is served first"


class Channel:
    name = "scripted"
    rate_limit = RateLimit(per_chat_per_second=1.0, per_chat_burst=1, overall_per_second=100.0)


def test_a_busy_chat_makes_only_its_own_broadcast_wait() -> None:
    now = [0.0]
    limits = RateLimits([Channel()], clock=lambda: now[0])  # type: ignore[list-item]
    assert limits.try_turn("scripted", "c1").wait == 0
    busy = limits.try_turn("scripted", "c1")
    assert busy.chat_only and busy.wait == pytest.approx(1.0)
    assert limits.try_turn("scripted", "c2").wait == 0, "another chat goes meanwhile"
    limits.pause("scripted", 3.0)
    paused = limits.try_turn("scripted", "c3")
    assert not paused.chat_only and paused.wait == pytest.approx(3.0)
