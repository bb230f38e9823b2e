"""The chats service on real SQLite with a recording outbound: dialog, check, reports."""

from __future__ import annotations

import pytest

from bot.services.chats import ChatsRefused
from storage.audit import AuditRepo
from storage.chats import ChatsRepo
from tests.chats.conftest import School

PARENTS = "class:5А:parents"


async def _confirm(school: School, who: str = "ivanova", key: str = PARENTS, messenger: str = "whatsapp") -> None:
    person = school.people[who]
    service = school.service
    await service.start(person, key)
    await service.choose_messenger(person, messenger)
    await service.typed(person, "https://vk.me/join/AbC123xyz")
    await service.typed(person, "около 25")
    if messenger != "none":
        await service.old_chat(person, "closed")
    await service.confirm(person)


async def test_list_shows_expected_chats_as_buttons(school: School) -> None:
    """«Мои чаты» lists the class teacher's two chats with buttons for each and «Добавить свой чат»."""
    screen = await school.service.my_chats(school.people["ivanova"])
    assert "подтверждено 0 из 2" in screen.text and "Чат с родителями 5А — не подтверждён" in screen.text
    assert screen.keyboard is not None
    labels = [b.label for row in screen.keyboard.rows for b in row]
    assert labels == ["Чат с учениками 5А", "Чат с родителями 5А", "Добавить свой чат"]


async def test_full_dialog_stores_every_answer_and_gives_a_code(school: School) -> None:
    """Messenger → link → count → old chat → summary → confirm: all answers stored, a code issued."""
    person = school.people["ivanova"]
    service = school.service
    screen = await service.start(person, PARENTS)
    assert "в каком мессенджере" in screen.text
    screen = await service.choose_messenger(person, "whatsapp")
    assert "ссылку-приглашение" in screen.text
    screen = await service.typed(person, "https://t.me/+abc")
    assert screen.text.startswith("Не подошло: это ссылка на Telegram")
    screen = await service.typed(person, "https://vk.me/join/AbC123xyz")
    assert "Сколько примерно человек" in screen.text
    screen = await service.typed(person, "много")
    assert screen.text.startswith("Не понял число")
    await service.typed(person, "около 25")
    screen = await service.old_chat(person, "announced")
    assert "Был в: WhatsApp" in screen.text and "Участников: около 25" in screen.text
    done = await service.confirm(person)
    assert "подтверждён" in done.text
    async with school.db.read() as conn:
        conf = await ChatsRepo.confirmation(conn, person.id, PARENTS)
    assert await service.open_dialog(person) is None
    assert conf is not None
    assert (conf.status, conf.old_messenger, conf.link, conf.link_kind, conf.members_estimate, conf.old_chat) == (
        "confirmed", "whatsapp", "https://vk.me/join/AbC123xyz", "vk", 25, "announced")
    assert conf.code and conf.code in done.text and "@club1" in done.text
    progress = await service.progress("school1")
    assert (progress.expected, progress.confirmed, progress.checked) == (2 + 4 + 4, 1, 0)


async def test_no_old_chat_skips_the_old_chat_step(school: School) -> None:
    """«Не было: сразу создан» goes from the count straight to the summary."""
    person = school.people["ivanova"]
    await school.service.start(person, PARENTS)
    await school.service.choose_messenger(person, "none")
    await school.service.no_link(person)
    await school.service.quick_reason(person)
    summary = await school.service.typed(person, "30 человек")
    assert "Проверьте, всё ли верно" in summary.text and "Ссылки нет: чат создан автоматически" in summary.text
    assert "Старый чат" not in summary.text


async def test_a_stale_button_changes_nothing(school: School) -> None:
    """A button of another step is refused and the dialog stays where it was."""
    person = school.people["ivanova"]
    await school.service.start(person, PARENTS)
    with pytest.raises(ChatsRefused):
        await school.service.old_chat(person, "closed")
    with pytest.raises(ChatsRefused):
        await school.service.confirm(person)
    dialog = await school.service.open_dialog(person)
    assert dialog is not None and dialog.step == "messenger"


async def test_resuming_shows_the_open_step(school: School) -> None:
    """Back at «Мои чаты» mid-dialog, the person continues at the step they left."""
    person = school.people["ivanova"]
    await school.service.start(person, PARENTS)
    await school.service.choose_messenger(person, "telegram")
    screen = await school.service.my_chats(person)
    assert screen.text.startswith("Продолжим") and "ссылку-приглашение" in screen.text
    assert await school.service.in_typing_step(person)


async def test_cancel_keeps_an_earlier_confirmation(school: School) -> None:
    """Cancelling an edit leaves the confirmed chat confirmed with its old answers."""
    await _confirm(school)
    person = school.people["ivanova"]
    await school.service.start(person, PARENTS)
    await school.service.choose_messenger(person, "viber")
    screen = await school.service.cancel(person)
    assert screen.text.startswith("Хорошо, отменил")
    chats = await school.service.person_chats(person)
    item = chats.item(PARENTS)
    assert item is not None and item.confirmed and item.confirmation is not None
    assert item.confirmation.old_messenger == "whatsapp"
    assert not await school.service.in_typing_step(person)


async def test_edit_keeps_answers_with_keep_buttons(school: School) -> None:
    """«Исправить» a confirmed chat: only the messenger changes, the link and count are kept."""
    await _confirm(school)
    person = school.people["ivanova"]
    await school.service.start(person, PARENTS)
    screen = await school.service.choose_messenger(person, "viber")
    assert screen.keyboard is not None and screen.keyboard.rows[0][0].label == "Оставить как было"
    await school.service.keep(person)
    await school.service.keep(person)
    await school.service.old_chat(person, "closed")
    await school.service.confirm(person)
    item = (await school.service.person_chats(person)).item(PARENTS)
    assert item is not None and item.confirmation is not None
    assert (item.confirmation.old_messenger, item.confirmation.link) == ("viber", "https://vk.me/join/AbC123xyz")


async def test_withdraw_makes_the_chat_missing_again(school: School) -> None:
    """A withdrawn confirmation counts as missing for reminders."""
    await _confirm(school)
    person = school.people["ivanova"]
    assert person.id not in {k for k, v in (await school.service.missing_by_person("school1")).items()
                             if "Чат с родителями 5А" in v}
    await school.service.withdraw(person, PARENTS)
    missing = await school.service.missing_by_person("school1")
    assert missing[person.id] == ["Чат с учениками 5А", "Чат с родителями 5А"]
    with pytest.raises(ChatsRefused):
        await school.service.withdraw(person, PARENTS)


async def test_someone_elses_chat_is_refused(school: School) -> None:
    """A key that is not on the person's own list is refused and nothing is written."""
    await _confirm(school)
    smirnova = school.people["smirnova"]
    for call in (school.service.start(smirnova, PARENTS), school.service.withdraw(smirnova, PARENTS),
                 school.service.open_chat(smirnova, "own:1")):
        with pytest.raises(ChatsRefused):
            await call
    item = (await school.service.person_chats(school.people["ivanova"])).item(PARENTS)
    assert item is not None and item.confirmed


async def test_a_person_adds_their_own_chat(school: School) -> None:
    """A typed title adds an own chat that then goes through the same dialog; withdrawing removes it."""
    person = school.people["petrov"]
    screen = await school.service.add_custom(person)
    assert "Как называется чат" in screen.text
    screen = await school.service.typed(person, "Кружок робототехники")
    assert screen.text.startswith("Добавил чат «Кружок робототехники»")
    await school.service.choose_messenger(person, "telegram")
    await school.service.typed(person, "vk.me/join/Robo2024")
    await school.service.typed(person, "12")
    await school.service.old_chat(person, "closed")
    await school.service.confirm(person)
    chats = await school.service.person_chats(person)
    assert (chats.expected, chats.confirmed) == (1, 1)
    key = chats.items[0].chat.key
    assert key.startswith("own:")
    await school.service.withdraw(person, key)
    assert (await school.service.person_chats(person)).items == []


async def test_deputy_marks_a_chat_not_needed_with_a_reason(school: School) -> None:
    """The reason is stored, the chat stops counting, and the decision is audited."""
    deputy, ivanova = school.people["deputy"], school.people["ivanova"]
    people = await school.service.nn_people(deputy)
    assert people.keyboard is not None
    await school.service.nn_chats(deputy, ivanova.id)
    screen = await school.service.nn_start(deputy, ivanova.id, PARENTS)
    assert "Почему чат «Чат с родителями 5А» не нужен" in screen.text
    assert await school.service.in_typing_step(deputy)
    done = await school.service.typed(deputy, "родители в общем чате школы")
    assert done.text.startswith("Отметил")
    chats = await school.service.person_chats(ivanova)
    assert (chats.expected, chats.missing) == (1, ["Чат с учениками 5А"])
    item = chats.item(PARENTS)
    assert item is not None and item.confirmation is not None
    assert item.confirmation.not_needed_reason == "родители в общем чате школы"
    audit = await AuditRepo(school.db).recent(action="chat_not_needed")
    assert audit[0].target == f"{ivanova.id}:{PARENTS}" and audit[0].outcome == "ok"
    with pytest.raises(ChatsRefused):
        await school.service.start(ivanova, PARENTS)


async def test_a_deputy_of_another_school_cannot_mark(school: School) -> None:
    """A colleague from another school is refused and nothing changes."""
    other, ivanova = school.people["other_deputy"], school.people["ivanova"]
    with pytest.raises(ChatsRefused):
        await school.service.nn_start(other, ivanova.id, PARENTS)
    assert (await school.service.person_chats(ivanova)).expected == 2


async def test_code_in_a_chat_marks_the_confirmation_checked(school: School) -> None:
    """The code links the chat, the members are counted where the bot may, the teacher is told."""
    await _confirm(school)
    person = school.people["ivanova"]
    conf = (await school.service.person_chats(person)).item(PARENTS)
    assert conf is not None and conf.confirmation is not None and conf.confirmation.code
    code = conf.confirmation.code
    assert not await school.service.has_open_code("[club1|@bot] привет всем")
    assert await school.service.has_open_code(f"[club1|@bot] {code}")
    assert await school.service.code_seen(2000000005, 2001, f"[club1|@bot] {code}")
    item = (await school.service.person_chats(person)).item(PARENTS)
    assert item is not None and item.checked and item.confirmation is not None
    assert (item.confirmation.chat_peer_id, item.confirmation.members_counted) == (2000000005, 3)
    assert school.calls[0][0] == "messages.getConversationMembers"
    assert any("проверенный" in t and "Участников в чате: 3" in t for t in school.outbound.to(2001))
    assert school.outbound.to(2000000005) == ["Код принят, спасибо! Чат отмечен как перенесённый."]
    assert not await school.service.has_open_code(f"[club1|@bot] {code}")  # used once
    assert (await school.service.progress("school1")).checked == 1


async def test_check_without_admin_rights_still_counts(school: School) -> None:
    """When VK refuses the members (917), the chat is checked without a count."""
    await _confirm(school)
    school.members_answer = RuntimeError("917")
    conf = (await school.service.person_chats(school.people["ivanova"])).item(PARENTS)
    assert conf is not None and conf.confirmation is not None
    assert await school.service.code_seen(2000000006, 2001, f"@club1 {conf.confirmation.code}")
    item = (await school.service.person_chats(school.people["ivanova"])).item(PARENTS)
    assert item is not None and item.checked and item.confirmation is not None
    assert item.confirmation.members_counted is None
    assert any("администратором" in t for t in school.outbound.to(2001))


async def test_status_section_and_report(school: School) -> None:
    """«Мой статус» shows confirmed of expected with tasks; the report counts per class and person."""
    await _confirm(school)
    section = await school.service.status_section(school.people["ivanova"], school.service._clock.now())
    assert section is not None and section.lines == ["Перенесено чатов: 1 из 2"]
    assert section.open_tasks == ["Подтвердите перенос чата «Чат с учениками 5А» (кнопка «Мои чаты»)."]
    assert await school.service.status_section(school.people["petrov"], school.service._clock.now()) is None
    report = await school.service.report("school1")
    assert [(c.class_name, c.expected, c.confirmed) for c in report.classes] == [
        ("5А", 2, 1), ("7Б", 2, 0), ("10А", 2, 0)]
    assert [p.name for p in report.people] == ["Иванова Анна Петровна", "Орлов Виктор Павлович",
                                               "Смирнова Ольга Викторовна"]
    screen = await school.service.report_screen(school.people["deputy"], "person")
    assert "Иванова А. П. — 1 из 2; нет: Чат с учениками 5А" in screen.text
    assert screen.keyboard is not None and "Отметить «не нужен»" in [b.label for r in screen.keyboard.rows for b in r]
    head = await school.service.report_screen(school.people["director"])
    assert "Подтверждено: 1 из 10 (10 %)" in head.text and "5А — 1 из 2" in head.text
    assert head.keyboard is not None and "Отметить «не нужен»" not in [b.label for r in head.keyboard.rows for b in r]


async def test_confirming_a_chat_marked_not_needed_meanwhile(school: School) -> None:
    """The deputy marks the chat not needed mid-dialog: the summary's «Подтвердить» is refused, the dialog ends."""
    ivanova, deputy = school.people["ivanova"], school.people["deputy"]
    await school.service.start(ivanova, PARENTS)
    await school.service.choose_messenger(ivanova, "none")
    await school.service.typed(ivanova, "https://vk.me/join/Abc123")
    await school.service.typed(ivanova, "20")
    await school.service.nn_start(deputy, ivanova.id, PARENTS)
    await school.service.typed(deputy, "чат ведёт другой учитель")
    with pytest.raises(ChatsRefused):
        await school.service.confirm(ivanova)
    assert await school.service.open_dialog(ivanova) is None
    item = (await school.service.person_chats(ivanova)).item(PARENTS)
    assert item is not None and item.status == "not_needed"
