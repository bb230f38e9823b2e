"""The regional view's rules: who slipped this week and the ranking order."""

from __future__ import annotations

from bot.domain.region import RegionSchool, ranked, slipped


def _school(org: str, share: float | None, before: float | None, status: str = "active",
            previous_status: str | None = "active") -> RegionSchool:
    return RegionSchool(org_id=org, name=org, status=status, previous_status=previous_status,  # type: ignore[arg-type]
                        share=share, previous_share=before, has_data=share is not None)


def test_a_fall_of_ten_points_is_a_slip_and_nine_is_not() -> None:
    """50 % → 40 % slipped (exactly 10 points, despite float rounding); 50 % → 41 % did not."""
    assert _school("a", 0.4, 0.5).slipped
    assert not _school("b", 0.41, 0.5).slipped


def test_becoming_inactive_is_a_slip_staying_inactive_is_not() -> None:
    """An active profile that became «Не активен» slipped; one inactive both weeks did not."""
    assert _school("a", 0.9, 0.9, status="inactive", previous_status="active").slipped
    assert not _school("b", 0.9, 0.9, status="inactive", previous_status="inactive").slipped
    assert not _school("c", 0.9, None, status="inactive", previous_status=None).slipped


def test_no_previous_week_is_no_slip() -> None:
    """Without the week before, the change is unknown and nothing slipped."""
    school = _school("a", 0.1, None)
    assert school.change_points is None and not school.slipped


def test_ranking_puts_the_inactive_first_then_the_lowest_share_and_unknown_last() -> None:
    """Inactive first, then by share from the lowest, a school without figures after the known."""
    schools = [_school("high", 0.9, 0.9), _school("none", None, None), _school("low", 0.2, 0.2),
               _school("off", 0.95, 0.95, status="inactive")]
    assert [s.org_id for s in ranked(schools)] == ["off", "low", "high", "none"]
    assert [s.org_id for s in slipped([_school("x", 0.1, 0.5), _school("y", 0.5, 0.5)])] == ["x"]
