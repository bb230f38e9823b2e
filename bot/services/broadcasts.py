"""The deputy's broadcast: choose who, write the text, preview, send, report.

A draft holds the audience and the text. Confirming fixes the recipients and sends
through the outbox (`broadcast:{id}:{person_id}` keys: a re-run after a crash sends
nobody twice), editing one message to show progress; the report names everyone
the message did not reach and why. The progress message and the report go to the deputy's
dialog through the `MessengerPort` of the messenger the deputy wrote from.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict
from rapidfuzz import fuzz, process

from bot.config import Settings
from bot.contracts import ChatsProgress, UnreachablePerson
from bot.domain import answers
from bot.domain.models import Person
from bot.domain.russian import count
from bot.messaging.delivery import port_named
from bot.messaging.events import ChatRef, Edit, Identity, Messenger, Reply
from bot.ports import MAX_DENIED, Delivery, MessengerPort, OutMessage
from bot.services.addressing import running, school_address
from bot.services.reachability import ReachabilityService, reason_for
from bot.stores.broadcasts import AudiencePerson, Broadcast, BroadcastStore, Recipient
from bot.stores.stats import StatsReads

log = logging.getLogger(__name__)

ProgressFn = Callable[[int, int], Awaitable[None]]
Spawn = Callable[[Coroutine[Any, Any, Any]], None]

MAX_TEXT = 3500
PREVIEW_NAMES = 10
REPORT_NAMES = 50
HEADER = "Сообщение от заместителя директора:\n\n"
# MAX answers 403 to a send to someone who never started the bot or stopped it.
MAX_UNREACHABLE = "человек не запускал бота или остановил его"
# Latin letters that look like Cyrillic ones in a class name typed on the wrong layout.
_LOOKALIKES = str.maketrans("ABEKMHOPCTX", "АВЕКМНОРСТХ")


class Sender(Protocol):
    """The outbox a broadcast's per-person messages go through (bot.vk.outbound.VkOutbound)."""

    async def send_bulk(self, messages: Sequence[OutMessage], *,
                        on_progress: ProgressFn | None = None) -> list[Delivery]: ...


class BroadcastRefused(Exception):  # noqa: N818 - reads naturally: `except BroadcastRefused`
    """A broadcast step that cannot go on; `text` says why and what to do, in Russian."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


# Key words of typed «who» answers, checked in this order (the first that fits wins).
_AUDIENCE_WORDS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("не зарег", "незарег", "регистрац", "не в сферуме"), "unregistered"),
    (("чат", "перенос"), "chats"),
    (("меньше", "мало", "отста", "не пишут", "не писал"), "below"),
    (("класс", "руковод"), "class"),
    (("всем", "все ", "всех", "каждому"), "all"),
)


class AudienceOption(BaseModel):
    """One «who» button."""

    model_config = ConfigDict(frozen=True)

    kind: str
    label: str


class Preview(BaseModel):
    """What the deputy confirms: the recipients, who of them is unreachable, the text."""

    model_config = ConfigDict(frozen=True)

    broadcast: Broadcast
    recipients: int
    unreachable: list[UnreachablePerson]
    text: str


class Report(BaseModel):
    """What became of a finished broadcast."""

    model_config = ConfigDict(frozen=True)

    broadcast: Broadcast
    total: int
    delivered: int
    unreachable: list[UnreachablePerson]
    failed: list[str]
    text: str


def normalize_class(text: str) -> str:
    """«5 а», «5-A», «5а» → «5А»."""
    cleaned = re.sub(r"[\s\-«»\"'.]", "", text).upper().translate(_LOOKALIKES)
    return cleaned.replace("КЛАСС", "").replace("КЛ", "")


def _names(people: Sequence[UnreachablePerson], limit: int) -> list[str]:
    lines = [f"• {p.name} — {p.reason}" for p in people[:limit]]
    if len(people) > limit:
        lines.append(f"…и ещё {len(people) - limit}")
    return lines


class BroadcastService:
    """Broadcast drafts and runs for one bot (every school's deputies)."""

    def __init__(self, store: BroadcastStore, stats: StatsReads, settings: Settings, outbound: Sender,
                 reachability: ReachabilityService, *, messengers: Mapping[Messenger, MessengerPort] | None = None,
                 chats: ChatsProgress | None = None, spawn: Spawn | None = None) -> None:
        self._repo = store
        self._stats = stats
        self._settings = settings
        self._outbound = outbound
        # Filled by the composition root as each messenger's adapter is built.
        self._messengers: Mapping[Messenger, MessengerPort] = messengers if messengers is not None else {}
        self._reach = reachability
        self._chats = chats
        self._spawn = spawn

    # --- the audience ------------------------------------------------------------------

    def options(self) -> list[AudienceOption]:
        """The «who» choices (the chats one only while the chats feature is on)."""
        found = [AudienceOption(kind="all", label="Всем сотрудникам"),
                 AudienceOption(kind="below", label=f"Учителям: меньше {count(self._settings.thresholds.messages, 'сообщение', 'gent')}"),
                 AudienceOption(kind="unregistered", label="Не зарегистрированным в Сферуме")]
        if self._chats is not None:
            found.append(AudienceOption(kind="chats", label="Не подтвердившим перенос чатов"))
        found.append(AudienceOption(kind="class", label="Классному руководителю"))
        return found

    def match_audience(self, typed: str) -> tuple[str, str | None] | None:
        """The «who» a typed answer names: («all», None), («class», "5А"), … or None when unclear.

        Takes the option's number («2»), a class («5А», «классному 7б»), key words («всем»,
        «не зарегистрированным», «отстающим», «чаты») and, for the rest, the closest label.
        """
        options = self.options()
        kinds = [o.kind for o in options]
        words = answers.clean(typed)
        if not words:
            return None
        cls = re.search(r"\b(\d{1,2})\s*-?\s*([а-яa-z])\b", words)
        if cls and "class" in kinds:
            return "class", cls.group(1) + cls.group(2)
        if re.fullmatch(r"\d{1,2}", words):
            index = int(words) - 1
            return (kinds[index], None) if 0 <= index < len(kinds) else None
        if words in ("все", "всем", "всех"):
            return "all", None
        for keys, kind in _AUDIENCE_WORDS:
            if kind in kinds and any(k in words for k in keys):
                return kind, None
        best = process.extractOne(words, [o.label.lower() for o in options], scorer=fuzz.WRatio)
        if best is not None and best[1] >= 80:
            return kinds[best[2]], None
        return None

    def describe(self, kind: str, arg: str | None) -> str:
        """Who a broadcast is for, in words."""
        return {
            "all": "все сотрудники",
            "below": f"учителя, написавшие меньше {count(self._settings.thresholds.messages, 'сообщение', 'gent')} за неделю",
            "unregistered": "не зарегистрированные в Сферуме",
            "chats": "не подтвердившие перенос рабочих чатов",
            "class": f"классный руководитель {arg}",
        }.get(kind, kind)

    async def find_class(self, org_id: str, typed: str) -> str:
        """The class name as the roster has it; BroadcastRefused when nobody leads such a class."""
        wanted = normalize_class(typed)
        classes = await self._repo.classes(org_id)
        for name in classes:
            if normalize_class(name) == wanted and wanted:
                return name
        known = ", ".join(sorted(classes)[:12])
        hint = f" В списке есть: {known}." if known else " В списке сотрудников пока не указан ни один класс."
        raise BroadcastRefused(f"Не нашёл классного руководителя «{typed.strip()[:20]}».{hint} "
                               "Напишите класс ещё раз, например 5А.")

    async def audience(self, org_id: str, kind: str, arg: str | None = None) -> list[AudiencePerson]:
        """The school's people a broadcast of this kind is for."""
        if kind == "all":
            return await self._repo.staff(org_id)
        if kind in ("below", "unregistered"):
            period = await self._stats.latest_period(org_id, "person")
            if period is None:
                raise BroadcastRefused("Ещё нет загруженной таблицы статистики по сотрудникам. Загрузите её "
                                       "(кнопка «Загрузить таблицу»), и я найду, кому написать.")
            if kind == "below":
                return await self._repo.below_threshold(org_id, period.key, self._settings.thresholds.messages)
            return await self._repo.not_registered(org_id, period.key)
        if kind == "chats":
            chats = self._chats
            if chats is None:
                raise BroadcastRefused("Учёт переноса чатов сейчас выключен. Выберите других получателей.")
            missing = await chats.missing_by_person(org_id)
            return await self._repo.people(org_id, [pid for pid, titles in missing.items() if titles])
        if kind == "class" and arg:
            return (await self._repo.classes(org_id)).get(arg, [])
        raise BroadcastRefused("Не понял, кому отправить. Нажмите «Рассылка» и выберите получателей.")

    # --- drafts --------------------------------------------------------------------------

    @staticmethod
    def check_text(text: str) -> str:
        """The text as it will go out; BroadcastRefused when empty or too long."""
        cleaned = text.strip()
        if not cleaned:
            raise BroadcastRefused("Пришлите текст рассылки обычным сообщением.")
        if len(cleaned) > MAX_TEXT:
            raise BroadcastRefused(f"Текст длиннее {MAX_TEXT} знаков ({len(cleaned)}). Сократите его и пришлите снова.")
        return cleaned

    async def create(self, deputy: Person, kind: str, arg: str | None, text: str) -> Preview:
        """A draft for the deputy's own school, and its preview."""
        if deputy.org_id is None:
            raise BroadcastRefused("Рассылку делает заместитель директора своей школы.")
        people = await self.audience(deputy.org_id, kind, arg)
        if not people:
            raise BroadcastRefused(f"Получателей нет: {self.describe(kind, arg)} — никого. Выберите других.")
        draft = await self._repo.create(deputy.org_id, deputy.vk_id or 0, kind, arg, self.check_text(text))
        return await self.preview(draft)

    async def get(self, broadcast_id: int) -> Broadcast | None:
        return await self._repo.get(broadcast_id)

    async def preview(self, broadcast: Broadcast) -> Preview:
        """Recipients and the unreachable ones among them first, then who and the text."""
        people = await self.audience(broadcast.org_id, broadcast.audience, broadcast.audience_arg)
        unreachable = await self._unreachable(broadcast.org_id, people)
        if unreachable:
            first = f"Получателей: {len(people)}, из них бот не может написать {len(unreachable)}:"
            lines = [first, *_names(unreachable, PREVIEW_NAMES)]
        else:
            lines = [f"Получателей: {len(people)}, написать можно всем."]
        lines += ["", f"Кому: {self.describe(broadcast.audience, broadcast.audience_arg)}.", "", "Текст:",
                  broadcast.text, "", "Отправить?"]
        return Preview(broadcast=broadcast, recipients=len(people), unreachable=unreachable, text="\n".join(lines))

    async def _unreachable(self, org_id: str, people: Sequence[AudiencePerson]) -> list[UnreachablePerson]:
        """Who of `people` the bot cannot write to on the messenger each would get the broadcast in, and why."""
        school = next((s for s in self._settings.schools if s.id == org_id), None)
        on = running(self._settings)
        if Messenger.MAX not in on:  # VK only: as it always was
            await self._reach.refresh(org_id)
            return (await self._reach.summary(org_id, [p.person_id for p in people])).unreachable
        vk_side = [p for p in people if school and (to := school_address(self._settings, school, p.vk_id, p.max_id))
                   and to[0] is Messenger.VK]
        vk_out: dict[int, UnreachablePerson] = {}
        if vk_side:
            await self._reach.refresh(org_id)
            vk_out = {u.person_id: u for u in
                      (await self._reach.summary(org_id, [p.person_id for p in vk_side])).unreachable}
        max_out = {u.person_id: u for u in (await self._reach.max_summary(org_id)).unreachable}
        found: list[UnreachablePerson] = []
        for p in people:
            to = school_address(self._settings, school, p.vk_id, p.max_id) if school else None
            if to is None:
                found.append(UnreachablePerson(person_id=p.person_id, name=p.full_name, vk_id=p.vk_id, code=None,
                                               reason=self._no_address(p.full_name)))
            elif (gone := (vk_out if to[0] is Messenger.VK else max_out).get(p.person_id)) is not None:
                found.append(gone)
        return found

    def _no_address(self, name: str) -> str:
        """Why someone with no account in a running messenger gets nothing."""
        on = running(self._settings)
        if Messenger.MAX not in on:
            return reason_for(None, name)
        return "нет ни страницы ВКонтакте, ни MAX в списке" if Messenger.VK in on else "MAX не привязан"

    async def set_text(self, broadcast_id: int, text: str) -> Preview:
        """A new text for a draft, and the new preview."""
        cleaned = self.check_text(text)
        if not await self._repo.set_text(broadcast_id, cleaned):
            raise BroadcastRefused("Эта рассылка уже отправлена или отменена. Чтобы начать новую, нажмите «Рассылка».")
        broadcast = await self._repo.get(broadcast_id)
        assert broadcast is not None
        return await self.preview(broadcast)

    async def cancel(self, broadcast_id: int) -> bool:
        """Drop a draft (False when it was no longer one)."""
        return await self._repo.cancel(broadcast_id)

    # --- sending -------------------------------------------------------------------------

    async def start(self, broadcast_id: int, deputy: Person, chat: ChatRef | None = None, *,
                    bot: str | None = None) -> Broadcast:
        """Fix the recipients, show a progress message in `chat` (the deputy's dialog with the bot named `bot`,
        the one they pressed «Отправить» in; by default their VK one with the school's bot) and send (in the
        background when it can). The progress and the report stay in that dialog.

        BroadcastRefused when the broadcast is not this deputy's school's draft.
        """
        broadcast = await self._repo.get(broadcast_id)
        if broadcast is None or broadcast.org_id != deputy.org_id:
            raise BroadcastRefused("Эта рассылка не найдена. Нажмите «Рассылка», чтобы начать новую.")
        if broadcast.status != "draft":
            raise BroadcastRefused("Эта рассылка уже отправлена или отменена.")
        people = await self.audience(broadcast.org_id, broadcast.audience, broadcast.audience_arg)
        if not await self._repo.start(broadcast.id, people):
            raise BroadcastRefused("Эта рассылка уже отправлена или отменена.")
        where = chat or ChatRef.dialog_with(Identity(messenger=Messenger.VK, external_id=deputy.vk_id or 0))
        shown = await self._say(where, _progress_text(0, len(people)), broadcast.org_id, bot)
        await self._repo.set_progress_message(broadcast.id, where.messenger.value, where.chat_id, shown, bot)
        started = await self._repo.get(broadcast.id)
        assert started is not None
        if self._spawn is not None:
            self._spawn(self._run_logged(started.id))
        else:
            await self.run(started.id)
        return started

    async def run(self, broadcast_id: int) -> Report | None:
        """Send a started broadcast to whoever has not got it yet, then report (once).

        Safe to call again after a crash: delivered messages are not sent twice.
        """
        broadcast = await self._repo.get(broadcast_id)
        if broadcast is None or broadcast.status != "sending":
            return None
        recipients = await self._repo.recipients(broadcast.id)
        # Each person on the school's preferred messenger among those they have and that run.
        school = next((s for s in self._settings.schools if s.id == broadcast.org_id), None)
        addressed = [(r, school_address(self._settings, school, r.vk_id, r.max_id) if school else None)
                     for r in recipients if r.status != "skipped"]
        to_send = [r for r, to in addressed if to is not None]
        messages = [OutMessage(peer_id=to[1], messenger=to[0], text=HEADER + broadcast.text,
                               idem_key=f"broadcast:{broadcast.id}:{r.person_id}", org_id=broadcast.org_id,
                               kind="broadcast", person_id=r.person_id) for r, to in addressed if to is not None]
        total = len(recipients)
        skipped = total - len(to_send)
        last_shown = -1

        async def progress(done: int, rows: int) -> None:
            nonlocal last_shown
            people_done = skipped + (done * len(to_send) // rows if rows else 0)
            if people_done != last_shown:
                last_shown = people_done
                await self._edit_progress(broadcast, _progress_text(people_done, total))

        deliveries = await self._outbound.send_bulk(messages, on_progress=progress) if messages else []
        outcomes = _outcomes(recipients, to_send, deliveries)
        if not await self._repo.finish(broadcast.id, outcomes):
            return None
        report = self._report(broadcast, await self._repo.recipients(broadcast.id))
        await self._edit_progress(broadcast, f"Рассылка завершена: обработано {total} из {total}.")
        where = _progress_chat(broadcast)
        if where is not None:
            await self._say(where, report.text, broadcast.org_id, broadcast.progress_bot)
        return report

    async def _run_logged(self, broadcast_id: int) -> None:
        """`run` in the background: a failure is logged; the next start's resume_all finishes it."""
        try:
            await self.run(broadcast_id)
        except Exception:
            log.exception("рассылка %s: отправка не удалась; она продолжится после перезапуска", broadcast_id)

    async def _say(self, chat: ChatRef, text: str, org_id: str | None, bot: str | None) -> int | None:
        """Send `text` to the deputy's dialog with bot `bot` (None: their school's bot); the message's id (None
        when it did not go)."""
        port = port_named(self._messengers, chat.messenger, bot, org_id)
        if port is None:
            log.error("рассылка: нет адаптера мессенджера %s, сообщение заместителю не отправлено", chat.messenger)
            return None
        return (await port.send(Reply(chat=chat, text=text))).message_id

    async def _edit_progress(self, broadcast: Broadcast, text: str) -> None:
        where = _progress_chat(broadcast)
        port = (port_named(self._messengers, where.messenger, broadcast.progress_bot, broadcast.org_id)
                if where is not None else None)
        if where is None or port is None or not broadcast.progress_cmid:
            return
        try:
            await port.edit(Edit(chat=where, message_id=broadcast.progress_cmid, text=text))
        except Exception as exc:  # a progress display must never stop a send
            log.warning("рассылка %s: не удалось обновить сообщение о ходе рассылки (%s)", broadcast.id, type(exc).__name__)

    async def resume_all(self) -> int:
        """Finish broadcasts a stopped process left half sent; returns how many."""
        unfinished = await self._repo.unfinished()
        for broadcast in unfinished:
            try:
                await self.run(broadcast.id)
            except Exception:
                log.exception("рассылка %s: не удалось продолжить после перезапуска", broadcast.id)
        return len(unfinished)

    def _report(self, broadcast: Broadcast, recipients: Sequence[Recipient]) -> Report:
        delivered = sum(1 for r in recipients if r.status == "sent")
        unreachable = [UnreachablePerson(person_id=r.person_id, name=r.full_name, vk_id=r.vk_id,
                                         code=r.error_code if r.status == "unreachable" else None,
                                         reason=self._why(r))
                       for r in recipients if r.status in ("unreachable", "skipped")]
        failed = [r.full_name for r in recipients if r.status in ("failed", "pending")]
        lines = [f"Рассылка отправлена. Доставлено: {delivered} из {len(recipients)}."]
        if unreachable:
            lines += ["", f"Не удалось написать ({len(unreachable)}):", *_names(unreachable, REPORT_NAMES), "",
                      "Чтобы бот мог им писать, перешлите им приглашение: кнопка «Кто не подписан»."]
        if failed:
            more = f" и ещё {len(failed) - REPORT_NAMES}" if len(failed) > REPORT_NAMES else ""
            lines += ["", f"Не доставлено из-за сбоя мессенджера ({len(failed)}): "
                      f"{', '.join(failed[:REPORT_NAMES])}{more}. Им можно написать позже ещё раз."]
        return Report(broadcast=broadcast, total=len(recipients), delivered=delivered, unreachable=unreachable,
                      failed=failed, text="\n".join(lines))


    def _why(self, recipient: Recipient) -> str:
        """Why a recipient did not get the broadcast, in Russian."""
        if recipient.status == "unreachable" and recipient.error_code == MAX_DENIED:
            return MAX_UNREACHABLE
        if recipient.status == "unreachable":
            return reason_for(recipient.error_code, recipient.full_name)
        return self._no_address(recipient.full_name)


def _progress_chat(broadcast: Broadcast) -> ChatRef | None:
    """The deputy's dialog that shows the progress and gets the report (None: none was shown)."""
    if not broadcast.progress_peer:
        return None
    return ChatRef(messenger=Messenger(broadcast.progress_messenger), chat_id=broadcast.progress_peer)


def _progress_text(done: int, total: int) -> str:
    return f"Отправляю рассылку: {done} из {total}…"


def _outcomes(recipients: Sequence[Recipient], sent: Sequence[Recipient],
              deliveries: Sequence[Delivery]) -> list[tuple[int, str, int | None]]:
    """(person_id, status, error_code) for every recipient."""
    by_person = {r.person_id: d for r, d in zip(sent, deliveries, strict=True)}
    outcomes: list[tuple[int, str, int | None]] = []
    for r in recipients:
        delivery = by_person.get(r.person_id)
        if delivery is None:
            outcomes.append((r.person_id, "skipped", None))
        elif delivery.ok:
            outcomes.append((r.person_id, "sent", None))
        elif delivery.unreachable:
            outcomes.append((r.person_id, "unreachable", delivery.error_code))
        else:
            outcomes.append((r.person_id, "failed", delivery.error_code))
    return outcomes
