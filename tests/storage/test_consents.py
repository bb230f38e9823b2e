"""Consents are kept per messenger: export and forget touch only the person's own accounts' consents."""

from __future__ import annotations

from bot.composition import privacy_stores
from bot.config import Settings
from bot.domain.models import Organization, Role
from bot.messaging.events import Identity, Messenger
from bot.services.privacy import PrivacyService
from storage.consents import ConsentRepo
from storage.db import Database
from storage.people import PeopleRepo
from storage.privacy import PrivacyRepo
from tests.summary.conftest import FixedClock, school_settings  # noqa: F401

SAME = 5005


async def test_a_vk_and_a_max_account_with_one_number_consent_apart(db: Database, school_settings: Settings) -> None:  # noqa: F811
    """One number in VK and in MAX is two accounts: each consent, export and forget is its own."""
    people = PeopleRepo(db)
    await people.sync_organizations([Organization(id="school1", name="МБОУ СОШ № 1", timezone="Europe/Moscow")])
    in_vk = await people.add("school1", "Иванова Анна Петровна", Role.TEACHER, vk_id=SAME)
    in_max = await people.add("school1", "Петров Сергей Иванович", Role.TEACHER)
    await people.bind_max(in_max.id, SAME)
    privacy = PrivacyService(privacy_stores(db), school_settings, FixedClock())
    version = privacy.terms("school1").version
    assert await privacy.accept(Identity(messenger=Messenger.MAX, external_id=SAME), "school1", version)
    consents = ConsentRepo(db)
    assert await consents.accepted(SAME, version, "max") and not await consents.accepted(SAME, version)
    assert await privacy.accept(SAME, "school1", version)
    assert len(await consents.of(SAME)) == len(await consents.of(SAME, "max")) == 1

    repo = PrivacyRepo(db)
    [own] = (await repo.export(in_max.id))["privacy_consents"]
    assert own["messenger"] == "max"
    [own] = (await repo.export(in_vk.id))["privacy_consents"]
    assert own["messenger"] == "vk"
    changed = await repo.forget(in_max.id)
    assert changed["privacy_consents"] == 1
    assert await consents.of(SAME, "max") == [] and len(await consents.of(SAME)) == 1
