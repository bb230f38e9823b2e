"""A deputy sends the roster or the weekly table as a document; kept-aside rows are resolved with buttons."""

from __future__ import annotations

from typing import Any

import aiohttp
from vkbottle import GroupEventType
from vkbottle.bot import BotLabeler, Message, MessageEvent
from vkbottle.dispatch.rules import ABCRule
from vkbottle_types.objects import DocsDoc

from bot.deps import Deps
from bot.domain.models import Person, Role
from bot.domain.ui import Button, Color, Keyboard
from bot.imports.reader import ImportRefused
from bot.imports.report import RosterResult, StatsResult, render_roster, render_stats
from bot.services.access import Denied
from bot.services.imports import ImportConfirmation, ImportResult, ImportService, Mode, Outcome
from handlers.common import MENTION, Cmd, EventCmd, Known, event_in_chat, feature, say, snackbar

labeler = BotLabeler()

MB = 1024 * 1024
HOW_TO = (
    "Пришлите мне файл таблицы сообщением (как документ): список сотрудников или еженедельную "
    "статистику Сферума. Подойдут Excel (.xlsx, .xls), LibreOffice (.ods) и CSV. Что это за таблица, "
    "я пойму по заголовкам столбцов и пришлю отчёт: сколько строк прочитал, сколько загрузил и что не получилось."
)
MAX_CANDIDATES = 5  # an inline keyboard holds 6 rows: the candidates and «Пропустить»


def _state_key(vk_id: int) -> str:
    return f"import:{vk_id}"


class HasDocument(ABCRule[Message]):
    """A message with a document attached: injects the first one as `doc`."""

    async def check(self, event: Message) -> dict[str, Any] | bool:
        for item in event.attachments or []:
            if item.doc is not None and item.doc.url:
                return {"doc": item.doc}
        return False


class DownloadFailed(Exception):
    """The document could not be fetched (or was larger than allowed)."""


async def download(url: str, max_bytes: int) -> bytes:
    """The document's bytes, read with a cap: a lying size cannot fill the memory."""
    timeout = aiohttp.ClientTimeout(total=60)
    chunks: list[bytes] = []
    total = 0
    try:
        async with aiohttp.ClientSession(timeout=timeout) as session, session.get(url) as resp:
            if resp.status != 200:
                raise DownloadFailed(f"HTTP {resp.status}")
            async for chunk in resp.content.iter_chunked(256 * 1024):
                total += len(chunk)
                if total > max_bytes:
                    raise DownloadFailed("too big")
                chunks.append(chunk)
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise DownloadFailed(type(exc).__name__) from None
    return b"".join(chunks)


def _service(deps: Deps) -> ImportService:
    return feature(deps, "imports", ImportService)


def _report_keyboard(result: StatsResult | RosterResult) -> Keyboard:
    """«Load it as the other kind», and «resolve kept-aside rows» when there are some."""
    buttons: list[Button] = []
    if isinstance(result, StatsResult) and result.pending:
        buttons.append(Button(label=f"Разобрать отложенные ({result.pending})", payload={"cmd": "imp_pending"},
                              color=Color.PRIMARY, callback=True))
    if isinstance(result, RosterResult):
        buttons.append(Button(label="Загрузить как статистику", payload={"cmd": "imp_as", "k": "stats"},
                              callback=True))
    else:
        buttons.append(Button(label="Загрузить как список сотрудников", payload={"cmd": "imp_as", "k": "roster"},
                              callback=True))
    return Keyboard.column(buttons)


def _render(result: StatsResult | RosterResult) -> str:
    return render_roster(result) if isinstance(result, RosterResult) else render_stats(result)


async def _deputy(deps: Deps, vk_id: int, action: str, target: str | None = None,
                  org_id: str | None = None, in_chat: bool = False) -> Person | None:
    """The deputy acting, checked on the server (and audited); None after telling a non-deputy why."""
    try:
        return await deps.access.require(vk_id, action, [Role.DEPUTY], org_id=org_id, target=target,
                                         in_chat=in_chat)
    except Denied as denied:
        snackbar("Нет прав")
        await say(deps, vk_id, denied.text)
        return None


async def _import(deps: Deps, deputy: Person, url: str, title: str, size: int | None,
                  kind: str | None) -> None:
    """Download, import and report to the deputy."""
    vk_id = deputy.vk_id or 0
    limit = deps.settings.imports.max_file_mb
    if size and size > limit * MB:
        await say(deps, vk_id, f"Не загрузил «{title}»: файл больше {limit:g} МБ. Сохраните только нужный лист "
                               "или разбейте таблицу на части.")
        return
    try:
        data = await download(url, int(limit * MB) + 1)
    except DownloadFailed:
        await say(deps, vk_id, f"Не получилось скачать «{title}». Пришлите файл ещё раз, пожалуйста.")
        return
    service = _service(deps)
    try:
        outcome = await service.submit(data, title, kind=kind, mode=Mode.AUTO, only_org=deputy.org_id,
                                       imported_by=vk_id)
    except ImportRefused as refused:
        await _refused(deps, deputy, title, kind, refused)
        return
    await deps.states.set(_state_key(vk_id), "file", {"url": url, "title": title, "size": size or 0})
    await _answer(deps, deputy, outcome, url=url, title=title, size=size or 0)


async def _refused(deps: Deps, deputy: Person, title: str, kind: str | None, refused: ImportRefused) -> None:
    """A refused file: audited, and the deputy told why and that nothing changed."""
    vk_id = deputy.vk_id or 0
    await deps.audit.write(actor_vk_id=vk_id, actor_person_id=deputy.id, org_id=deputy.org_id,
                           action="import_file", outcome="error", target=title[:200],
                           details={"reason": str(refused)[:500], "kind": kind})
    await say(deps, vk_id, f"Не загрузил «{title}»: {refused}. Ничего не изменилось — исправьте файл "
                           "и пришлите снова.")


async def _answer(deps: Deps, deputy: Person, outcome: Outcome[ImportResult], *, url: str, title: str, size: int,
                  changed: bool = False) -> None:
    """The report of an applied import, or the preview of a held one with «Применить» and «Отменить»."""
    vk_id = deputy.vk_id or 0
    if outcome.preview is None:
        assert outcome.result is not None
        await say(deps, vk_id, _render(outcome.result), _report_keyboard(outcome.result))
        return
    held = await _service(deps).hold(outcome, actor_vk_id=vk_id, org_id=deputy.org_id, file_name=title,
                                     source=url, size=size)
    what = "список сотрудников" if outcome.kind == "roster" else "статистику"
    head = ("Пока вы решали, данные изменились — проверьте ещё раз." if changed else
            f"Прежде чем загрузить {what} из «{title}», проверьте, что изменится:")
    keyboard = Keyboard.column([
        Button(label="Применить", payload={"cmd": "imp_ok", "c": held}, color=Color.POSITIVE, callback=True),
        Button(label="Отменить", payload={"cmd": "imp_no", "c": held}, color=Color.NEGATIVE, callback=True),
    ])
    await say(deps, vk_id, "\n".join([head, *outcome.preview.lines(), "Применить?"]), keyboard)


_STALE = {
    "applied": "Эта загрузка уже применена",
    "cancelled": "Эта загрузка уже отменена",
    "superseded": "Кнопка устарела: есть более новая загрузка",
}


async def _held(deps: Deps, vk_id: int, args: dict[str, Any], action: str,
                in_chat: bool) -> tuple[Person, ImportConfirmation] | None:
    """The deputy and their open held import the button names; None after a polite refusal."""
    held_id = args.get("c")
    held = await _service(deps).held(held_id) if isinstance(held_id, int) else None
    deputy = await _deputy(deps, vk_id, action, target=str(held_id), org_id=held.org_id if held else None,
                           in_chat=in_chat)
    if deputy is None:
        return None
    if held is None or held.actor_vk_id != vk_id:
        snackbar("Кнопка устарела — пришлите файл снова")
        return None
    if held.status != "open":
        snackbar(_STALE.get(held.status, "Кнопка устарела — пришлите файл снова"))
        return None
    return deputy, held


@labeler.raw_event(GroupEventType.MESSAGE_EVENT, MessageEvent, EventCmd("imp_ok"))
async def on_confirm(event: MessageEvent, deps: Deps, args: dict[str, Any]) -> None:
    """«Применить»: the held file is fetched and imported again, and applied if nothing changed meanwhile."""
    vk_id = event.object.user_id
    found = await _held(deps, vk_id, args, "import_confirm", event_in_chat(event))
    if found is None:
        return
    deputy, held = found
    snackbar("Применяю")
    try:
        data = await download(held.source, int(deps.settings.imports.max_file_mb * MB) + 1)
    except DownloadFailed:
        await say(deps, vk_id, f"Не получилось скачать «{held.file_name}» ещё раз. Пришлите файл снова, пожалуйста.")
        return
    try:
        outcome = await _service(deps).confirm(held, data, only_org=deputy.org_id)
    except ImportRefused as refused:
        await _refused(deps, deputy, held.file_name, held.kind, refused)
        return
    await _answer(deps, deputy, outcome, url=held.source, title=held.file_name, size=held.size, changed=True)


@labeler.raw_event(GroupEventType.MESSAGE_EVENT, MessageEvent, EventCmd("imp_no"))
async def on_cancel(event: MessageEvent, deps: Deps, args: dict[str, Any]) -> None:
    """«Отменить»: the held import is dropped; nothing changes."""
    vk_id = event.object.user_id
    found = await _held(deps, vk_id, args, "import_cancel", event_in_chat(event))
    if found is None:
        return
    _, held = found
    if not await _service(deps).cancel(held.id, vk_id):
        snackbar("Эта загрузка уже применена или отменена")
        return
    snackbar("Отменено")
    await say(deps, vk_id, f"Загрузку «{held.file_name}» отменил: ничего не изменилось.")


@labeler.private_message(Known(), HasDocument())
async def on_document(message: Message, deps: Deps, doc: DocsDoc) -> None:
    """A document in a private message: a deputy's table is imported, anyone else is told who may."""
    title = doc.title or "файл"
    deputy = await _deputy(deps, message.from_id, "import_file", target=title[:200])
    if deputy is not None:
        await _import(deps, deputy, str(doc.url), title, doc.size, None)


@labeler.chat_message(HasDocument(), func=lambda m: bool(MENTION.match(m.text or "")))
async def on_chat_document(message: Message, deps: Deps) -> None:
    """A table sent to the bot in a group chat: refused (tables come only in private messages)."""
    await _deputy(deps, message.from_id, "import_file", in_chat=True)


@labeler.chat_message(Cmd("imp_pending", "отложенные", "отложенные строки", "загрузить таблицу"))
async def chat_import_command(message: Message, deps: Deps) -> None:
    """Import commands typed in a group chat: refused, the person is told privately."""
    await _deputy(deps, message.from_id, "import_pending", in_chat=True)


@labeler.private_message(Known(), Cmd("upload", "загрузить таблицу"))
async def cmd_upload(message: Message, deps: Deps) -> None:
    """«Загрузить таблицу»: how to send a file."""
    if await _deputy(deps, message.from_id, "import_help") is not None:
        await say(deps, message.from_id, HOW_TO)


@labeler.raw_event(GroupEventType.MESSAGE_EVENT, MessageEvent, EventCmd("imp_as"))
async def on_import_as(event: MessageEvent, deps: Deps, args: dict[str, Any]) -> None:
    """Load the last file again as the other kind of table."""
    vk_id = event.object.user_id
    kind = args.get("k")
    deputy = await _deputy(deps, vk_id, "import_file_as", target=str(kind), in_chat=event_in_chat(event))
    state = await deps.states.get(_state_key(vk_id))
    if deputy is None or kind not in ("roster", "stats"):
        return
    if state is None or not state.payload.get("url"):
        snackbar("Файла уже нет — пришлите его снова")
        return
    snackbar("Загружаю заново")
    payload = state.payload
    await _import(deps, deputy, str(payload["url"]), str(payload.get("title", "файл")),
                  int(payload.get("size") or 0), kind)


async def _show_next_pending(deps: Deps, deputy: Person) -> None:
    """The next kept-aside row of the deputy's school with its candidates, or «all done»."""
    vk_id = deputy.vk_id or 0
    rows = await _service(deps).pending(deputy.org_id)
    if not rows:
        await say(deps, vk_id, "Отложенных строк не осталось.")
        return
    row = rows[0]
    buttons = [Button(label=c.name[:40], payload={"cmd": "imp_pick", "r": row.id, "p": c.id},
                      color=Color.PRIMARY, callback=True) for c in row.candidates[:MAX_CANDIDATES]]
    buttons.append(Button(label="Пропустить", payload={"cmd": "imp_pick", "r": row.id, "p": 0}, callback=True))
    period = f" за {row.period}" if row.period else ""
    hint = ("Кто это?" if row.candidates else
            "Подходящих сотрудников нет: если человек новый, добавьте его в список сотрудников "
            "и загрузите таблицу снова. Пока строку можно пропустить.")
    await say(deps, vk_id, f"Отложено строк: {len(rows)}. Таблица{period}, строка {row.row_no}: "
                           f"{row.reason}.\n{hint}", Keyboard.column(buttons))


@labeler.private_message(Known(), Cmd("imp_pending", "отложенные", "отложенные строки"))
async def cmd_pending(message: Message, deps: Deps) -> None:
    """«отложенные» typed by hand: the first kept-aside row, as the report's button does."""
    deputy = await _deputy(deps, message.from_id, "import_pending")
    if deputy is not None:
        await _show_next_pending(deps, deputy)


@labeler.raw_event(GroupEventType.MESSAGE_EVENT, MessageEvent, EventCmd("imp_pending"))
async def on_pending(event: MessageEvent, deps: Deps) -> None:
    """«Разобрать отложенные»: show the first kept-aside row."""
    deputy = await _deputy(deps, event.object.user_id, "import_pending", in_chat=event_in_chat(event))
    if deputy is not None:
        await _show_next_pending(deps, deputy)


@labeler.raw_event(GroupEventType.MESSAGE_EVENT, MessageEvent, EventCmd("imp_pick"))
async def on_pick(event: MessageEvent, deps: Deps, args: dict[str, Any]) -> None:
    """A candidate chosen (or «Пропустить») for a kept-aside row; then the next one."""
    vk_id = event.object.user_id
    pending_id, person_id = args.get("r"), args.get("p")
    row = await _service(deps).get_pending(pending_id) if isinstance(pending_id, int) else None
    deputy = await _deputy(deps, vk_id, "resolve_pending", target=str(pending_id),
                           org_id=row.org_id if row else None, in_chat=event_in_chat(event))
    if deputy is None:
        return
    if row is None or not isinstance(person_id, int):
        snackbar("Эта строка уже разобрана или кнопка устарела")
        return
    try:
        await _service(deps).resolve_pending(row.id, person_id or None, actor_vk_id=vk_id)
    except ImportRefused as refused:
        snackbar(str(refused))
        return
    snackbar("Сохранено" if person_id else "Пропущено")
    await _show_next_pending(deps, deputy)
