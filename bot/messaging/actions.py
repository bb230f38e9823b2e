"""Every button action the bot has, as typed payloads, grouped by feature.

The names and short keys are the ones VK buttons have carried since the first
release (`{"cmd": "bc_send", "b": 7}`), so buttons on messages sent before an
upgrade decode to the same action. A feature's router matches its actions with
`Model.filter()`.
"""

from __future__ import annotations

from pydantic import Field

from bot.messaging.payloads import Payload

# --- main menu (text buttons; the same words typed by hand work too) ---


class Start(Payload, name="start"):
    """The main menu."""


class MyStatus(Payload, name="my_status"):
    """«Мой статус»."""


class MyChats(Payload, name="my_chats"):
    """«Мои чаты»."""


class SchoolPick(Payload, name="school"):
    """A person bound in several schools picks the one they act for."""

    org: str = Field(alias="o", max_length=32)


class ChangeSchool(Payload, name="school_change"):
    """«Сменить школу»: ask again which school."""


class MyData(Payload, name="my_data"):
    """«Мои данные»: what the bot keeps about the person, and their own export."""


class Faq(Payload, name="faq"):
    """«Вопрос по Сферуму»."""


class Questions(Payload, name="questions"):
    """«Вопросы сотрудников» (deputy)."""


class Summary(Payload, name="summary"):
    """«Сводка» (director, deputy, district)."""


class MigrationReport(Payload, name="migration_report"):
    """«Перенос чатов» (director, deputy)."""


class Upload(Payload, name="upload"):
    """«Загрузить таблицу» (deputy)."""


class Broadcast(Payload, name="broadcast"):
    """«Рассылка» (deputy)."""


class Unreachable(Payload, name="unreachable"):
    """«Кто не подписан» (deputy)."""


class InviteLinks(Payload, name="inv_links"):
    """«Ссылки MAX»: personal MAX links with QR codes for the whole school (deputy)."""


class Help(Payload, name="help"):
    """«Помощь»: what the person's role can do (also the button under «Вы имели в виду …?»)."""


class MigrationReportView(Payload, name="report_view"):
    """«по сотрудникам» / «по классам» typed: the chats report in that view (director, deputy)."""


class NotNeededStart(Payload, name="not_needed"):
    """«не нужен» typed: whose chat to mark as not needed (deputy)."""


# --- identification ---


class IdPick(Payload, name="id_pick"):
    """A stranger picks themselves from the roster matches."""

    person_id: int = Field(alias="p")


class IdNone(Payload, name="id_none"):
    """«Здесь нет меня»."""


class BindApprove(Payload, name="bind_ok"):
    """The deputy confirms a binding request."""

    request_id: int = Field(alias="r")


class BindReject(Payload, name="bind_no"):
    """The deputy rejects a binding request."""

    request_id: int = Field(alias="r")


# --- FAQ ---


class FaqPick(Payload, name="faq_pick"):
    """One of the suggested answers for a question: an entry `e` of topic `t` (buttons sent
    before entries existed carry the topic alone)."""

    question_id: int = Field(alias="q")
    topic: str = Field(alias="t", max_length=64)
    entry: str = Field(default="", alias="e", max_length=64)


class FaqHelpful(Payload, name="faq_ok"):
    """«Помогло»."""

    question_id: int = Field(alias="q")


class FaqHandOff(Payload, name="faq_handoff"):
    """Pass the question to the deputy."""

    question_id: int = Field(alias="q")


class FaqReply(Payload, name="faq_reply"):
    """The deputy starts answering a question."""

    question_id: int = Field(alias="q")


class FaqEntry(Payload, name="faq_entry"):
    """The deputy files the answer under a topic (page `p` of topics)."""

    question_id: int = Field(alias="q")
    page: int = Field(default=0, alias="p")


class FaqTopic(Payload, name="faq_topic"):
    """The topic chosen for the school's answer."""

    question_id: int = Field(alias="q")
    topic: str = Field(alias="t", max_length=64)


class FaqNewTopic(Payload, name="faq_new"):
    """A topic of the school's own."""

    question_id: int = Field(alias="q")


class FaqCancel(Payload, name="faq_cancel"):
    """Leave the FAQ's typing step."""


# --- imports ---


class ImportPending(Payload, name="imp_pending"):
    """Go through the postponed rows."""


class ImportAs(Payload, name="imp_as"):
    """Load an ambiguous table as statistics or as the roster."""

    kind: str = Field(alias="k", max_length=16)


class ImportPick(Payload, name="imp_pick"):
    """The person a postponed row belongs to (0: skip it)."""

    row_id: int = Field(alias="r")
    person_id: int = Field(alias="p")


class ImportApply(Payload, name="imp_ok"):
    """«Применить»: apply the held import (an import that marks people as left or replaces a week)."""

    confirmation_id: int = Field(alias="c")


class ImportCancel(Payload, name="imp_no"):
    """«Отменить»: drop the held import."""

    confirmation_id: int = Field(alias="c")


# --- broadcasts ---


class BroadcastAudience(Payload, name="bc_aud"):
    """Who gets the broadcast."""

    audience: str = Field(alias="a", max_length=32)


class BroadcastSend(Payload, name="bc_send"):
    """Send the previewed broadcast."""

    broadcast_id: int = Field(alias="b")


class BroadcastEdit(Payload, name="bc_edit"):
    """Change the previewed broadcast's text."""

    broadcast_id: int = Field(alias="b")


class BroadcastCancel(Payload, name="bc_cancel"):
    """Drop the broadcast being prepared (a draft without an id yet, or broadcast `b`)."""

    broadcast_id: int | None = Field(default=None, alias="b")


# --- chats migration ---


class ChatList(Payload, name="ch_list"):
    """«Мои чаты», page `pg`."""

    page: int | None = Field(default=None, alias="pg")


class ChatOpen(Payload, name="ch_open"):
    """One chat of the list."""

    key: str = Field(alias="k", max_length=64)


class ChatGo(Payload, name="ch_go"):
    """Confirm (or correct) one chat's migration."""

    key: str = Field(alias="k", max_length=64)


class ChatWithdraw(Payload, name="ch_wd"):
    """Withdraw a confirmation."""

    key: str = Field(alias="k", max_length=64)


class ChatAdd(Payload, name="ch_add"):
    """Add a chat of one's own."""


class ChatMessenger(Payload, name="ch_m"):
    """Where the chat moved to (or «more», «back»)."""

    messenger: str = Field(alias="m", max_length=32)


class ChatNoLink(Payload, name="ch_nolink"):
    """«Нет ссылки»."""


class ChatReason(Payload, name="ch_reason"):
    """«Чат создан автоматически»."""


class ChatKeep(Payload, name="ch_keep"):
    """Keep the earlier answer."""


class ChatOld(Payload, name="ch_old"):
    """What became of the old chat."""

    value: str = Field(alias="v", max_length=32)


class ChatOk(Payload, name="ch_ok"):
    """Confirm the answers."""


class ChatRedo(Payload, name="ch_redo"):
    """Answer again."""


class ChatCancel(Payload, name="ch_cancel"):
    """Leave the chat dialog."""


class ChatReport(Payload, name="ch_rep"):
    """The migration report by class or by person."""

    view: str = Field(alias="v", max_length=16)


class NotNeeded(Payload, name="ch_nn"):
    """Mark chats «не нужен»: the people, page `pg`."""

    page: int | None = Field(default=None, alias="pg")


class NotNeededPerson(Payload, name="ch_nnp"):
    """One person's chats to mark."""

    person_id: int = Field(alias="p")


class NotNeededChat(Payload, name="ch_nnk"):
    """Mark one person's chat as not needed."""

    person_id: int = Field(alias="p")
    key: str = Field(alias="k", max_length=64)


# --- privacy (first contact) ---


class ConsentAccepted(Payload, name="consent_ok"):
    """«Согласен(на)» under the consent text; `v` is the version of the text accepted."""

    version: str = Field(alias="v", max_length=64)


# --- reminder templates (deputy) ---


class ReminderTemplates(Payload, name="reminder_templates"):
    """«Шаблоны напоминаний»: the list of templates."""


class TemplateApply(Payload, name="tpl_apply"):
    """«Применить» under a previewed template."""


class TemplateCancel(Payload, name="tpl_cancel"):
    """«Отмена» under a previewed template."""
