"""Personal MAX links: single use, 14 days, a newer link replaces the older; one MAX account per school;
the CLI writes the xlsx and the PDF."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path

import openpyxl
import pytest

from bot.cli import main
from bot.domain.invites import REFUSALS, InviteOutcome, is_token, new_token, refusal
from bot.domain.models import Role
from bot.services.invites import InviteError, InviteService
from storage.db import Database
from storage.invites import InvitesRepo
from storage.people import PeopleRepo
from tests.conftest import ROOT

START = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)


class Clock:
    """A clock the test moves."""

    def __init__(self) -> None:
        self.at = START

    def now(self) -> dt.datetime:
        return self.at


async def _name() -> str | None:
    return "id7700000000_bot"


@pytest.fixture
async def db(tmp_path: Path) -> Database:
    database = await Database.open(tmp_path / "bot.db", create=True)
    await PeopleRepo(database).sync_organizations([])
    yield database  # type: ignore[misc]
    await database.close()


async def _service(db: Database, clock: Clock) -> tuple[InviteService, PeopleRepo]:
    from bot.domain.models import Organization

    people = PeopleRepo(db)
    await people.sync_organizations([Organization(id="s1", name="Школа", timezone="Europe/Moscow")])
    return InviteService(InvitesRepo(db), people, clock, _name), people


def test_tokens_fit_max_start_payloads() -> None:
    """Tokens use only [A-Za-z0-9_-] and stay under 128 characters; refusals say what to do."""
    tokens = {new_token() for _ in range(200)}
    assert len(tokens) == 200 and all(is_token(t) and len(t) <= 128 for t in tokens)
    assert not is_token("a" * 129) and not is_token("bad token") and not is_token(None)
    assert all("заместител" in refusal(o) for o in InviteOutcome if o not in (InviteOutcome.BOUND, InviteOutcome.ALREADY))


async def test_a_link_binds_once_and_expires_after_14_days(db: Database) -> None:
    """Used once; another account gets «уже использована»; an unused link dies after 14 days."""
    clock = Clock()
    service, people = await _service(db, clock)
    anna = await people.add("s1", "Иванова Анна Петровна", Role.TEACHER)
    oleg = await people.add("s1", "Петров Олег", Role.TEACHER)
    [link] = await service.issue([anna], "s1", None)
    assert link.url == f"https://max.ru/id7700000000_bot?start={link.token}" and link.until == "15.12.2026"
    bound = await service.redeem(link.token, 501)
    assert bound is not None and bound.outcome is InviteOutcome.BOUND
    again = await service.redeem(link.token, 501)
    assert again is not None and again.outcome is InviteOutcome.ALREADY
    other = await service.redeem(link.token, 502)
    assert other is not None and other.outcome is InviteOutcome.USED
    [late] = await service.issue([oleg], "s1", None)
    clock.at = START + dt.timedelta(days=14, seconds=1)
    expired = await service.redeem(late.token, 502)
    assert expired is not None and expired.outcome is InviteOutcome.EXPIRED
    assert [p.id for p in await people.by_max_id(501)] == [anna.id] and await people.by_max_id(502) == []
    assert await service.redeem("plain", 1) is not None and await service.redeem("", 1) is None


async def test_a_newer_link_replaces_and_an_account_binds_to_one_person(db: Database) -> None:
    """A reissued link cancels the old one; an account bound to someone cannot take another's link."""
    service, people = await _service(db, Clock())
    anna = await people.add("s1", "Иванова Анна Петровна", Role.TEACHER)
    oleg = await people.add("s1", "Петров Олег", Role.TEACHER)
    [old] = await service.issue([anna], "s1", None)
    [new] = await service.issue([anna], "s1", None)
    replaced = await service.redeem(old.token, 501)
    assert replaced is not None and replaced.outcome is InviteOutcome.REPLACED
    assert "новую" in REFUSALS[InviteOutcome.REPLACED]
    assert (await service.redeem(new.token, 501)).outcome is InviteOutcome.BOUND  # type: ignore[union-attr]
    [olegs] = await service.issue([oleg], "s1", None)
    taken = await service.redeem(olegs.token, 501)
    assert taken is not None and taken.outcome is InviteOutcome.ACCOUNT_TAKEN
    assert [p.id for p in await people.by_max_id(501)] == [anna.id]
    assert [p.full_name for p in await service.school_people("s1")] == ["Петров Олег"]


async def test_no_bot_name_is_a_clear_error(db: Database) -> None:
    """Without MAX's name for the bot, no link is issued and the reason is in Russian."""
    _, people = await _service(db, Clock())
    anna = await people.add("s1", "Иванова Анна Петровна", Role.TEACHER)
    with pytest.raises(InviteError, match="имя бота в MAX"):
        await InviteService(InvitesRepo(db), people, Clock()).issue([anna], "s1", None)


def test_cli_writes_the_school_list(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`invite-links --bot NAME --json` writes the xlsx with QR codes and the PDF; without a name it exits 1."""
    config = tmp_path / "config.toml"
    config.write_text((ROOT / "config.example.toml").read_text("utf-8"), "utf-8")
    roster = tmp_path / "staff.csv"
    roster.write_text("ФИО;Должность;ID MAX\nИванова Анна Петровна;учитель;\nПетров Олег;учитель;7101\n", "utf-8")
    assert main(["import-roster", str(roster), "--config", str(config)]) == 0
    capsys.readouterr()
    code = main(["invite-links", "--config", str(config), "--bot", "school_bot", "--out", str(tmp_path), "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    result = json.loads(out)
    assert result["count"] == 1 and result["links"][0]["name"] == "Иванова Анна Петровна"
    assert result["links"][0]["url"].startswith("https://max.ru/school_bot?start=")
    sheet = openpyxl.load_workbook(io.BytesIO(Path(result["xlsx"]).read_bytes())).active
    assert sheet.cell(row=3, column=1).value == "Иванова Анна Петровна" and len(sheet._images) == 1
    assert Path(result["pdf"]).read_bytes().startswith(b"%PDF")
    assert main(["invite-links", "--config", str(config), "--out", str(tmp_path)]) == 1
    assert "укажите --bot" in capsys.readouterr().err
