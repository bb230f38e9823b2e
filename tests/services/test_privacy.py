"""PrivacyService on in-memory stores only (no database): forget, retention, consent, backups."""

from __future__ import annotations

import datetime as dt

from bot.config import Settings
from bot.messaging.events import Identity, Messenger
from bot.services.privacy import PrivacyService, data_notice, privacy_terms
from bot.stores.privacy import PrivacyStores
from tests.fakes.audit import FakeAudit
from tests.fakes.privacy import FakeBackups, FakeConsents, FakePersonalData
from tests.summary.conftest import FixedClock

NOW = dt.datetime(2026, 11, 23, tzinfo=dt.UTC)


def _service(settings: Settings, data: FakePersonalData, audit: FakeAudit,
             backups: FakeBackups | None = None) -> PrivacyService:
    stores = PrivacyStores(data=data, consents=FakeConsents(), audit=audit, backups=backups or FakeBackups())
    return PrivacyService(stores, settings, FixedClock(NOW))


async def test_forget_and_retention_change_the_store_and_are_audited(settings: Settings) -> None:
    """Forgetting an unknown person changes nothing; a known one is removed and audited; the daily job
    drops figures past the school's retention and people who left long ago."""
    data, audit = FakePersonalData(), FakeAudit()
    data.rows = {7: {"people": [{"vk_id": 2001, "org_id": "school1"}], "person_stats": [{}, {}]},
                 8: {"people": [{"vk_id": 2002, "org_id": "school1"}]}}
    data.left = {8: ("school1", NOW - dt.timedelta(days=settings.schools[0].retention.left_people_days + 1))}
    data.figures = {"school1": [dt.date(2020, 1, 4), NOW.date()]}
    service = _service(settings, data, audit)
    assert await service.forget_person(99) is None and audit.entries == []
    assert await service.forget_person(7, actor="cli") == {"people": 1, "person_stats": 2}
    assert audit.entries[-1].action == "forget_person" and audit.entries[-1].details["by"] == "cli"
    result = await service.enforce_retention()
    assert result == {"statistics": 1, "people": 1, "service_rows": 0}
    assert data.rows == {} and data.figures == {"school1": [NOW.date()]}
    assert audit.actions() == ["forget_person", "retention"]


async def test_consent_is_recorded_once_per_version(settings: Settings) -> None:
    """A MAX account accepting the current text is recorded (and audited as a MAX account); a stale version is not."""
    audit = FakeAudit()
    service = _service(settings, FakePersonalData(), audit)
    account = Identity(messenger=Messenger.MAX, external_id=8001)
    version = service.terms("school1").version
    assert await service.accept(account, "school1", "stale") is False
    assert await service.accept(account, "school1", version) is True
    assert audit.entries[-1].action == "privacy_consent" and audit.entries[-1].actor == account


async def test_a_postgres_backup_is_a_dump_and_old_dumps_rotate(settings: Settings) -> None:
    """On PostgreSQL the scheduled backup is a .dump; only the newest `keep` dumps stay, other files too."""
    backups = FakeBackups("postgres")
    folder = settings.backup.dir
    folder.mkdir(parents=True)
    old = [folder / f"sferum-bot-2000010{i}-000000.dump" for i in range(settings.backup.keep)]
    for path in [*old, folder / "sferum-bot-20000101-000000.sqlite3"]:
        path.write_bytes(b"")
    made = await _service(settings, FakePersonalData(), FakeAudit(), backups).scheduled_backup()
    assert backups.made == [made] and made.name == "sferum-bot-20261123-000000.dump"
    assert not old[0].exists() and old[1].exists() and (folder / "sferum-bot-20000101-000000.sqlite3").exists()


def test_data_notice_names_the_account_of_the_persons_messenger(settings: Settings) -> None:
    """The notice names the VK id to a VK user, the MAX id to a MAX user, both when the messenger is unknown."""
    assert "ваш id ВКонтакте," in data_notice(settings, "school1", Messenger.VK)
    in_max = data_notice(settings, "school1", Messenger.MAX)
    assert "ваш id в MAX," in in_max and "ВКонтакте" not in in_max
    assert "ваш id ВКонтакте или MAX," in data_notice(settings, "school1")


def test_builtin_consent_names_the_max_id(settings: Settings) -> None:
    """The built-in consent text lists the MAX id beside the VK one."""
    assert "id ВКонтакте, id в MAX и недельных показателей" in privacy_terms(settings, "school1").consent_text
