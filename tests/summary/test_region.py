"""The regional view on SQLite: ranking, the schools that slipped, a district's schools, the message and the xlsx."""

from __future__ import annotations

import asyncio
import io
import json
from pathlib import Path

import pytest

from bot.cli import main
from bot.config import Settings, parse_settings
from bot.domain.models import Organization, Role
from bot.domain.region import RegionSchool
from bot.services.summary import SummaryService
from bot.summary.model import RegionSummary
from bot.summary.render import MESSAGE_LIMIT, render_region
from storage.db import Database
from storage.people import PeopleRepo
from storage.summary import SummaryRepo
from tests.summary.conftest import WEEK1, WEEK2, FixedClock, put_week

# org id, district, teachers who wrote ≥ 3 messages out of 10 in week 1 and in week 2.
SCHOOLS = [("north1", "Северный", 8, 8), ("north2", "Северный", 6, 4), ("south1", "Южный", 5, 9),
           ("south2", "Южный", 9, 9)]


def _settings(tmp_path: Path) -> Settings:
    return parse_settings({"district": {"name": "Область"}, "schools": [
        {"id": org, "name": f"Школа {org}", "district": district} for org, district, _, _ in SCHOOLS]}, tmp_path)


async def _seed(db: Database) -> None:
    people = PeopleRepo(db)
    await people.sync_organizations([Organization(id=org, name=org) for org, *_ in SCHOOLS])
    for org, _, week1, week2 in SCHOOLS:
        ids = [(await people.add(org, f"Учитель{n} Иван Петрович", Role.TEACHER,
                                 classes=[f"{n + 1}А"])).id for n in range(10)]
        for period, active in ((WEEK1, week1), (WEEK2, week2)):
            await put_week(db, org, period, [(pid, {"group_messages": 5 if n < active else 0, "registered": True})
                                             for n, pid in enumerate(ids)])


@pytest.fixture
async def service(db: Database, tmp_path: Path) -> SummaryService:
    """The summary service over four schools in two districts with two weeks each."""
    await _seed(db)
    return SummaryService(SummaryRepo(db), _settings(tmp_path), clock=FixedClock())


async def test_region_ranks_every_school_and_finds_the_one_that_slipped(service: SummaryService) -> None:
    """Lowest share first; north2 fell from 60 % to 40 % (−20 points) and is the only one that slipped."""
    region = await service.region()
    assert region.name == "Область" and region.district is None and region.period == WEEK2
    assert [s.org_id for s in region.schools] == ["north2", "north1", "south1", "south2"]
    assert [s.org_id for s in region.slipped] == ["north2"]
    north2 = region.schools[0]
    assert north2.share == pytest.approx(0.4) and north2.change_points == pytest.approx(-20)


async def test_district_sees_only_its_schools(service: SummaryService) -> None:
    """--district «южный» (any case) gives the two southern schools under the district's own spelling."""
    region = await service.region("южный")
    assert region.district == "Южный" and region.name == "Южный"
    assert [s.org_id for s in region.schools] == ["south1", "south2"]
    assert region.slipped == []


async def test_unknown_district_is_refused_in_russian(service: SummaryService) -> None:
    """A district no school has is a ValueError naming the known ones."""
    with pytest.raises(ValueError, match="района «Западный» нет.*Северный, Южный"):
        await service.region("Западный")


async def test_region_report_has_the_text_and_an_xlsx_with_every_school(service: SummaryService) -> None:
    """The chat reply: the ranking text and a workbook with one row per school."""
    from openpyxl import load_workbook

    report = await service.region_report()
    assert "Просели за неделю: 1 школа" in report.text and "Школа north2" in report.text
    [xlsx] = report.files
    rows = list(load_workbook(io.BytesIO(xlsx.data)).active.iter_rows(values_only=True))
    assert len(rows) == 1 + len(SCHOOLS) and rows[1][2] == "north2" and rows[1][9] == "да"


def test_a_thousand_schools_fit_one_message() -> None:
    """1,000 schools with long names, 300 of them slipped: the message stays within MAX's 4,000 characters."""
    schools = [RegionSchool(org_id=f"s{n}", name="Муниципальное бюджетное общеобразовательное учреждение "
                            f"средняя общеобразовательная школа № {n}", district="Район",
                            status="active", previous_status="active", share=n / 1000,
                            previous_share=n / 1000 + (0.2 if n % 3 == 0 else 0), has_data=True)
               for n in range(1000)]
    region = RegionSummary(name="Область", period=WEEK2, schools=schools,
                           slipped=[s for s in schools if s.slipped])
    text = render_region(region)
    assert len(text) <= MESSAGE_LIMIT
    assert "1000 школ" in text and "Внизу рейтинга" in text and "Вверху рейтинга" in text
    assert "и ещё" in text



def _cli_config(tmp_path: Path) -> Path:
    """A config file with the four schools of SCHOOLS and a data folder beside it."""
    lines = ['[district]\nname = "Область"\n']
    for org, district, _, _ in SCHOOLS:
        lines.append(f'[[schools]]\nid = "{org}"\nname = "Школа {org}"\ndistrict = "{district}"\n')
    path = tmp_path / "config.toml"
    path.write_text("\n".join(lines), "utf-8")
    return path


def _seed_cli(tmp_path: Path) -> None:
    async def run() -> None:
        db = await Database.open(tmp_path / "data" / "sferum-bot.sqlite3")
        try:
            await _seed(db)
        finally:
            await db.close()

    asyncio.run(run())


def test_cli_region_and_district_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`summary --region --json` ranks every school; `--district` only its own; the text names who slipped."""
    config = _cli_config(tmp_path)
    _seed_cli(tmp_path)
    assert main(["summary", "--config", str(config), "--region", "--json"]) == 0
    found = json.loads(capsys.readouterr().out)
    assert found["scope"] == "region" and found["slipped"] == ["north2"]
    assert [s["org"] for s in found["schools"]] == ["north2", "north1", "south1", "south2"]
    assert found["schools"][0]["change_points"] == -20.0
    assert main(["summary", "--config", str(config), "--district", "Северный", "--json"]) == 0
    found = json.loads(capsys.readouterr().out)
    assert found["scope"] == "district" and [s["org"] for s in found["schools"]] == ["north2", "north1"]
    assert main(["summary", "--config", str(config), "--region"]) == 0
    assert "Просели за неделю: 1 школа" in capsys.readouterr().out


def test_cli_unknown_district_fails_in_russian(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An unknown district: exit 1, the known districts on stderr, nothing on stdout."""
    config = _cli_config(tmp_path)
    _seed_cli(tmp_path)
    assert main(["summary", "--config", str(config), "--district", "Западный"]) == 1
    out, err = capsys.readouterr()
    assert out == "" and "района «Западный» нет" in err and "Северный, Южный" in err
