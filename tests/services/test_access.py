"""Role checks on the server side, audited both ways."""

from __future__ import annotations

import pytest

from bot.config import Settings
from bot.domain.models import Organization, Role
from bot.messaging.events import Identity, Messenger
from bot.messaging.middlewares import PersonLookups
from bot.services.access import AccessService, Denied
from storage.audit import AuditRepo
from storage.db import Database
from storage.people import PeopleRepo


@pytest.fixture
async def access(db: Database, settings: Settings) -> AccessService:
    people = PeopleRepo(db)
    await people.sync_organizations([Organization(id="school1", name="1"), Organization(id="school2", name="2")])
    await people.add("school1", "Белова Ирина", Role.DEPUTY, vk_id=1002)
    await people.add("school2", "Чужая Зоя", Role.DEPUTY, vk_id=3002)
    await people.add("school1", "Иванова Анна", Role.TEACHER, vk_id=2001)
    return AccessService(people, AuditRepo(db), settings)


async def test_deputy_of_the_school_is_allowed(access: AccessService, db: Database) -> None:
    """A deputy acting on their own school passes and the action is audited as ok."""
    person = await access.require(1002, "broadcast", [Role.DEPUTY], org_id="school1")
    assert person.full_name == "Белова Ирина"
    assert (await AuditRepo(db).recent())[0].outcome == "ok"


@pytest.mark.parametrize(
    ("vk_id", "in_chat", "expected"),
    [
        (2001, False, "заместители директора"),   # a teacher
        (9999, False, "не знаю"),                # a stranger
        (3002, False, "другой школе"),           # a deputy of another school
        (1002, True, "личных сообщениях"),       # from a group chat
    ],
)
async def test_refusals_are_polite_and_audited(access: AccessService, db: Database, vk_id: int,
                                               in_chat: bool, expected: str) -> None:
    """Each kind of refusal explains itself in Russian and is written to the audit log as denied."""
    with pytest.raises(Denied) as denied:
        await access.require(vk_id, "import_stats", [Role.DEPUTY], org_id="school1", in_chat=in_chat)
    assert expected in denied.value.text
    entry = (await AuditRepo(db).recent())[0]
    assert entry.outcome == "denied" and entry.actor_vk_id == vk_id and entry.action == "import_stats"


async def test_require_uses_the_people_the_event_already_looked_up(access: AccessService, db: Database) -> None:
    """With the event's lookups, require checks the people found there and asks storage nothing more."""
    identity = Identity(messenger=Messenger.VK, external_id=1002)
    lookups = PersonLookups(access.whois)
    assert (await lookups.person(identity)) is not None
    person = await access.require(identity, "broadcast", [Role.DEPUTY], org_id="school1", lookups=lookups)
    assert person.full_name == "Белова Ирина" and lookups.asked == 1
    with pytest.raises(Denied):
        await access.require(identity, "import_stats", [Role.DEPUTY], org_id="school2", lookups=lookups)
    assert lookups.asked == 1
    assert [e.outcome for e in await AuditRepo(db).recent()] == ["denied", "ok"]


async def test_a_refusal_in_a_group_chat_looks_nobody_up(access: AccessService) -> None:
    """Asked in a group chat the answer is «only in private» whoever asks: storage is not asked."""
    lookups = PersonLookups(access.whois)
    with pytest.raises(Denied):
        await access.require(1002, "broadcast", [Role.DEPUTY], in_chat=True, lookups=lookups)
    assert lookups.asked == 0


async def test_a_district_official_acts_only_on_the_schools_of_their_district(db: Database,
                                                                               settings: Settings) -> None:
    """A district official passes for a school of their district and is refused for another district's;
    a regional official passes for both."""
    from bot.config import DistrictOfficials

    first = settings.schools[0]
    schools = [first.model_copy(update={"id": "north1", "district": "Северный"}),
               first.model_copy(update={"id": "south1", "district": "Южный"})]
    district = settings.district.model_copy(update={
        "official_vk_ids": [5002], "officials": [DistrictOfficials(district="северный ", vk_ids=[5001])]})
    scoped = settings.model_copy(update={"schools": schools, "district": district})
    people = PeopleRepo(db)
    await people.sync_organizations([Organization(id="north1", name="С"), Organization(id="south1", name="Ю")])
    await people.add("north1", "Районова Ольга", Role.DISTRICT, vk_id=5001)
    await people.add("north1", "Краева Нина", Role.DISTRICT, vk_id=5002)
    access = AccessService(people, AuditRepo(db), scoped)
    officials = [Role.DISTRICT, Role.REGION]
    assert (await access.require(5001, "summary", officials, org_id="north1")).full_name == "Районова Ольга"
    with pytest.raises(Denied) as denied:
        await access.require(5001, "summary", officials, org_id="south1")
    assert "другой школе" in denied.value.text
    assert (await AuditRepo(db).recent())[0].outcome == "denied"
    for org_id in ("north1", "south1"):
        assert (await access.require(5002, "summary", officials, org_id=org_id)).role is Role.REGION
