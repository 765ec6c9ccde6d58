"""A short chaos soak in the suite (the long one: benchmarks/chaos_soak.py, by hand)."""

from __future__ import annotations

from chaos import soak, violations


def test_guarantees_hold_under_random_faults_from_many_threads() -> None:
    report = soak(seconds=3.0, threads=12, seed=7, deadline=2.0)
    assert violations(report) == [], report.summary()
    # The run did exercise the faults and the non-idempotent path.
    assert report.calls > 50 and len(report.markers) > 10
    assert {"errcode", "status", "reset", "slow", "revoke"} <= set(report.faults)
    assert sum(report.failures.values()) > 0


def test_guarantees_hold_across_processes_sharing_redis_that_restarts() -> None:
    from chaos import soak_processes
    from support import RedisProcess

    redis = RedisProcess().start()
    try:
        report = soak_processes(redis, seconds=4.0, processes=4, threads=4, seed=11,
                                deadline=2.0, restarts=1)
    finally:
        redis.close()
    assert violations(report) == [], report.summary()
    assert report.calls > 50 and len(report.markers) > 10
    assert sum(report.failures.values()) > 0
