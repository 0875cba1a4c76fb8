"""Prepare for class: every step runs in order behind one staged progress, and one failure stops nothing else."""

from __future__ import annotations

import pytest

from lessons import warm


def test_steps_report_increasing_progress_and_a_failure_is_reported_not_raised(monkeypatch) -> None:
    def fine(progress):
        progress(0.5, "half way")
        return "made"

    def broken(progress):
        raise RuntimeError("disk full")

    monkeypatch.setattr(warm, "STEPS", (("First", 0.25, fine), ("Second", 0.25, broken), ("Third", 0.5, fine)))
    seen: list[tuple[float, str]] = []
    steps = warm.prepare_for_class(lambda f, m: seen.append((f, m)))
    assert [s.name for s in steps] == ["First", "Second", "Third"]
    assert [s.note for s in steps] == ["made", "failed: disk full", "made"]
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert any(m == "First: half way" for _, m in seen) and any(m.startswith("Third: ") for _, m in seen)
    assert warm.main(["--only", "First"]) == 0
    assert warm.main([]) == 1  # a failed step fails the command


def test_only_runs_the_named_steps(monkeypatch) -> None:
    ran: list[str] = []
    monkeypatch.setattr(warm, "STEPS", tuple((name, 0.5, lambda p, n=name: ran.append(n) or n)
                                            for name in ("A", "B")))
    assert [s.note for s in warm.prepare_for_class(only=("B",))] == ["B"] and ran == ["B"]


def test_the_networks_step_loads_what_is_on_this_machine_and_names_what_is_not() -> None:
    note = warm._networks(lambda f, m: None)
    assert "networks ready" in note
    from lessons.core import registry

    missing = [registry.spec_for(k).title for k in registry.model_keys(listed_only=False)
               if not registry.availability(k).ok]
    for title in missing:
        assert title in note
    assert registry.is_loaded("efficientnet_lite0") and registry.is_loaded("efficientnet_lite0", "random")


@pytest.mark.parametrize("name", [name for name, _, _ in warm.STEPS])
def test_every_step_has_a_job_and_a_share(name: str) -> None:
    shares = {n: share for n, share, _ in warm.STEPS}
    assert shares[name] > 0 and abs(sum(shares.values()) - 1.0) < 1e-9
