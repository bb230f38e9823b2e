"""Personal data: export, forget (figures stay in totals), retention, backups and restore."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path

import pytest

from bot.cli import main
from bot.composition import privacy_stores
from bot.config import Settings
from bot.domain.models import Organization, Role
from bot.messaging.events import ChatRef, Identity, Messenger
from bot.messaging.state import StateKey
from bot.services.privacy import PrivacyService, backups_to_delete, data_notice
from storage.audit import AuditRepo
from storage.conversation_state import ConversationStateRepo
from storage.db import Database
from storage.people import PeopleRepo
from tests.pg import backend


class FixedClock:
    def __init__(self, now: dt.datetime) -> None:
        self._now = now

    def now(self) -> dt.datetime:
        return self._now


async def _school(db: Database) -> tuple[int, int]:
    people = PeopleRepo(db)
    await people.sync_organizations([Organization(id="school1", name="Школа")])
    anna = await people.add("school1", "Иванова Анна Петровна", Role.TEACHER, vk_id=2001, classes=["5А"])
    petr = await people.add("school1", "Петров Пётр Петрович", Role.TEACHER, vk_id=2002)
    async with db.transaction() as conn:
        for pid, msgs in ((anna.id, 5), (petr.id, 1)):
            await conn.execute(
                "INSERT INTO person_stats(person_id, org_id, period_start, period_end, group_messages) "
                "VALUES (?, 'school1', '2026-11-14', '2026-11-20', ?)", (pid, msgs))
        await conn.execute("INSERT INTO vk_users(vk_id, updated_at) VALUES (2001, 'x')")
        await conn.execute("INSERT INTO reach(messenger, bot, account, can_write, updated_at) "
                           "VALUES ('vk', 'main', 2001, 1, 'x')")
    return anna.id, petr.id


async def test_export_lists_every_table_about_the_person(db: Database, settings: Settings) -> None:
    """export-person returns the person, their classes, figures and VK account."""
    anna, _ = await _school(db)
    data = await PrivacyService(privacy_stores(db), settings).export_person(anna)
    assert data is not None
    tables = data["tables"]
    assert tables["people"][0]["full_name"] == "Иванова Анна Петровна"
    assert tables["person_classes"][0]["class_name"] == "5А"
    assert tables["person_stats"][0]["group_messages"] == 5
    assert tables["vk_users"][0]["vk_id"] == 2001
    assert await PrivacyService(privacy_stores(db), settings).export_person(999) is None


async def test_forget_removes_personal_data_but_keeps_totals(db: Database, settings: Settings) -> None:
    """After forget the name and VK id are gone, the school's totals are unchanged, it is audited."""
    anna, _ = await _school(db)
    changed = await PrivacyService(privacy_stores(db), settings).forget_person(anna)
    assert changed and changed["people"] == 1
    async with db.read() as conn:
        row = await (await conn.execute("SELECT full_name, vk_id, active FROM people WHERE id = ?", (anna,))).fetchone()
        total = (await (await conn.execute("SELECT sum(group_messages) FROM person_stats")).fetchone())[0]
        vk = (await (await conn.execute("SELECT count(*) FROM vk_users WHERE vk_id = 2001")).fetchone())[0]
        audit = (await (await conn.execute("SELECT count(*) FROM audit_log WHERE action = 'forget_person'")).fetchone())[0]
        classes = (await (await conn.execute("SELECT count(*) FROM person_classes WHERE person_id = ?", (anna,))).fetchone())[0]
    assert "Иванова" not in row[0] and row[1] is None and row[2] == 0
    assert total == 6
    assert vk == 0 and classes == 0 and audit == 1


async def test_forget_drops_the_persons_dialog_steps(db: Database, settings: Settings) -> None:
    """A person's dialog steps (VK and MAX accounts) are exported, then removed by forget; a colleague's stay."""
    anna, petr = await _school(db)
    async with db.transaction() as conn:
        await conn.execute("UPDATE people SET max_id = 7001 WHERE id = ?", (anna,))
    states = ConversationStateRepo(db)
    keys = [StateKey.of(1, ChatRef.dialog_with(who), who, "chats")
            for who in (Identity(messenger=Messenger.VK, external_id=2001),
                        Identity(messenger=Messenger.MAX, external_id=7001),
                        Identity(messenger=Messenger.VK, external_id=2002))]
    for key in keys:
        await states.set(key, "link", {"answers": {"link": "https://vk.me/join/x"}})
    exported = await PrivacyService(privacy_stores(db), settings).export_person(anna)
    assert exported is not None and len(exported["tables"]["conversation_state"]) == 2
    changed = await PrivacyService(privacy_stores(db), settings).forget_person(anna)
    assert changed["conversation_state"] == 2
    assert [await states.get(k) is None for k in keys] == [True, True, False]


async def test_what_a_person_did_from_max_is_exported_then_unnamed_by_forget(db: Database, settings: Settings) -> None:
    """Audit lines written with the person's MAX account are in the export; forget keeps them without the account."""
    anna, _ = await _school(db)
    async with db.transaction() as conn:
        await conn.execute("UPDATE people SET max_id = 7001 WHERE id = ?", (anna,))
    await AuditRepo(db).write(actor=Identity(messenger=Messenger.MAX, external_id=7001), actor_person_id=anna,
                              org_id="school1", action="import_roster", outcome="ok")
    exported = await PrivacyService(privacy_stores(db), settings).export_person(anna)
    assert exported is not None
    assert [r["actor_max_id"] for r in exported["tables"]["audit_log"]] == [7001]
    changed = await PrivacyService(privacy_stores(db), settings).forget_person(anna)
    assert changed["audit_log"] == 2  # the MAX actor's line, and the export's line that says who asked
    [entry] = await AuditRepo(db).recent(action="import_roster")
    assert entry.actor_max_id is None and entry.outcome == "ok"


async def test_retention_drops_old_statistics_and_people_who_left(db: Database, settings: Settings) -> None:
    """The daily job removes figures older than the setting and anonymizes people who left long ago."""
    anna, petr = await _school(db)
    async with db.transaction() as conn:
        await conn.execute(
            "INSERT INTO person_stats(person_id, org_id, period_start, period_end, group_messages) "
            "VALUES (?, 'school1', '2020-01-04', '2020-01-10', 3)", (anna,))
        await conn.execute("UPDATE people SET active = 0, left_at = '2020-01-01T00:00:00+00:00' WHERE id = ?", (petr,))
    clock = FixedClock(dt.datetime(2026, 11, 23, tzinfo=dt.UTC))
    result = await PrivacyService(privacy_stores(db), settings, clock).enforce_retention()
    assert result["statistics"] == 1 and result["people"] == 1
    async with db.read() as conn:
        name = (await (await conn.execute("SELECT full_name FROM people WHERE id = ?", (petr,))).fetchone())[0]
    assert "Петров" not in name


def test_backup_rotation_keeps_newest_and_ignores_other_files() -> None:
    """Only our backups beyond the newest `keep` are deleted."""
    names = [f"sferum-bot-2026111{i}-030000.sqlite3" for i in range(5)] + ["notes.txt"]
    assert backups_to_delete(names, 3) == names[:2]
    assert backups_to_delete(names, 10) == []


def test_data_notice_names_retention(settings: Settings) -> None:
    """The notice says what is kept and for how long."""
    text = data_notice(settings, "school1")
    assert "730" in text and "не хранит" in text


@pytest.mark.skipif(backend() == "postgres", reason="reads SQLite's own catalogue or file")
async def test_scheduled_backup_is_consistent_and_rotates(db: Database, settings: Settings) -> None:
    """A backup taken from the live WAL database opens with the same rows; old copies rotate."""
    await _school(db)
    service = PrivacyService(privacy_stores(db), settings)
    folder = settings.backup.dir
    folder.mkdir(parents=True)
    for i in range(settings.backup.keep + 2):
        (folder / f"sferum-bot-2000010{i}-000000.sqlite3").write_bytes(b"")
    path = await service.scheduled_backup()
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT count(*) FROM people").fetchone()[0] == 2
    assert len(list(folder.glob("sferum-bot-*.sqlite3"))) == settings.backup.keep


def test_cli_backup_and_restore_round_trip(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`backup` copies the live database; `restore --yes` brings it back after a loss."""
    conf = tmp_path / "config.toml"
    conf.write_text('[storage]\ndata_dir = "data"\n[[schools]]\nid = "school1"\n', "utf-8")
    db_path = tmp_path / "data" / "sferum-bot.sqlite3"

    async def seed() -> None:
        db = await Database.open(db_path)
        await PeopleRepo(db).sync_organizations([Organization(id="school1", name="Школа")])
        await PeopleRepo(db).add("school1", "Иванова Анна Петровна", Role.TEACHER)
        await db.close()

    import asyncio

    asyncio.run(seed())
    backup = tmp_path / "copy.sqlite3"
    assert main(["backup", str(backup), "--config", str(conf)]) == 0
    db_path.unlink()
    assert main(["restore", str(backup), "--config", str(conf)]) == 3  # a preview: needs --yes
    assert main(["restore", str(backup), "--yes", "--config", str(conf)]) == 0
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("SELECT full_name FROM people").fetchone()[0] == "Иванова Анна Петровна"
    assert main(["export-person", "--person", "1", "--config", str(conf)]) == 0
    out = capsys.readouterr().out
    assert json.loads(out.strip().splitlines()[-1])["tables"]["people"][0]["id"] == 1


def test_cli_refuses_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Unknown person and a non-database restore file give a Russian error and non-zero exit."""
    conf = tmp_path / "config.toml"
    conf.write_text("", "utf-8")
    assert main(["forget", "--person", "42", "--config", str(conf)]) == 1
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"not a database at all" * 100)
    assert main(["restore", str(junk), "--yes", "--config", str(conf)]) == 1
    assert "Ошибка" in capsys.readouterr().err
