"""A deputy sends the roster or the weekly table as a file; kept-aside rows are resolved with buttons.

An import that marks people as left or replaces a loaded week is held (`import_confirmations`)
until the deputy presses «Применить» or «Отменить», so it survives a restart. The last file a
deputy sent is remembered in the dialog-state store (feature «imports»), so that «Загрузить как …»
can load it again as the other kind of table.

A neutral handler: it runs on any messenger the router is fed from; files come as
`MessageIn.files` and are fetched through `MessengerPort.download`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from bot.deps import Deps
from bot.domain.models import Person, Role
from bot.domain.ui import Button, Color, Keyboard
from bot.imports.reader import ImportRefused
from bot.imports.report import RosterResult, StatsResult, render_roster, render_stats
from bot.messaging import actions
from bot.messaging.events import (
    ButtonPressed,
    CallbackAnswer,
    ChatRef,
    FileRef,
    MessageIn,
    Reply,
)
from bot.messaging.filters import Command, InGroup, Known, Private
from bot.messaging.router import Router
from bot.messaging.state import StateKey, StateStore
from bot.ports import MessengerPort, PortFailure
from bot.services.access import Denied
from bot.services.imports import (
    AlreadyClosed,
    ImportConfirmation,
    ImportResult,
    ImportService,
    Mode,
    Outcome,
)

router = Router("imports")


async def _wired(event: Any, imports: ImportService | None = None) -> bool:
    """Imports are on (the service wired): otherwise nothing here matches."""
    return imports is not None


router.message.filter(_wired)
router.button.filter(_wired)

FEATURE = "imports"
MB = 1024 * 1024
HOW_TO = (
    "Пришлите мне файл таблицы сообщением (как документ): список сотрудников или еженедельную "
    "статистику Сферума. Подойдут Excel (.xlsx, .xls), LibreOffice (.ods) и CSV. Что это за таблица, "
    "я пойму по заголовкам столбцов и пришлю отчёт: сколько строк прочитал, сколько загрузил и что не получилось."
)
MAX_CANDIDATES = 5  # an inline keyboard holds 6 rows: the candidates and «Пропустить»
#: How long «Загрузить как …» under a report can still load the same file again.
LAST_FILE_TTL = dt.timedelta(days=7)
STALE_BUTTON = "Кнопка устарела — пришлите файл снова"
_STALE = {
    "applied": "Эта загрузка уже применена",
    "cancelled": "Эта загрузка уже отменена",
    "superseded": "Кнопка устарела: есть более новая загрузка",
}

Event = MessageIn | ButtonPressed


def _dialog(event: Event) -> ChatRef:
    """The sender's own dialog with the bot: answers go there, even to a command or a press in a group chat."""
    return event.chat if not event.chat.is_group else ChatRef.dialog_with(event.sender)


def _state_key(bot_id: int, event: Event) -> StateKey:
    return StateKey.of(bot_id, _dialog(event), event.sender, FEATURE)


async def _say(messenger: MessengerPort, event: Event, text: str, keyboard: Keyboard | None = None) -> None:
    await messenger.send(Reply(chat=_dialog(event), text=text, keyboard=keyboard))


async def _snackbar(messenger: MessengerPort, event: Event, text: str) -> None:
    """A short pop-up answer to a button press (a typed message has nothing to answer)."""
    if isinstance(event, ButtonPressed):
        await messenger.answer(CallbackAnswer(callback_id=event.callback_id, user=event.sender, chat=event.chat,
                                              text=text[:90]))


async def has_file(event: MessageIn) -> dict[str, Any] | bool:
    """A message with a file attached that can be fetched: passes the first one as `file`."""
    for file in event.files:
        if file.ref:
            return {"file": file}
    return False


async def _addressed(event: MessageIn) -> bool:
    """A group-chat message that starts with a mention of the bot."""
    return event.addressed is not None


def _report_keyboard(result: StatsResult | RosterResult) -> Keyboard:
    """«Load it as the other kind», and «resolve kept-aside rows» when there are some."""
    buttons: list[Button] = []
    if isinstance(result, StatsResult) and result.pending:
        buttons.append(actions.ImportPending().button(f"Разобрать отложенные ({result.pending})",
                                                      color=Color.PRIMARY, callback=True))
    if isinstance(result, RosterResult):
        buttons.append(actions.ImportAs(kind="stats").button("Загрузить как статистику", callback=True))
    else:
        buttons.append(actions.ImportAs(kind="roster").button("Загрузить как список сотрудников", callback=True))
    return Keyboard.column(buttons)


def _render(result: StatsResult | RosterResult) -> str:
    return render_roster(result) if isinstance(result, RosterResult) else render_stats(result)


async def _deputy(deps: Deps, messenger: MessengerPort, event: Event, action: str, target: str | None = None,
                  org_id: str | None = None) -> Person | None:
    """The deputy acting, checked on the server (and audited); None after telling a non-deputy why."""
    try:
        return await deps.access.require(event.sender, action, [Role.DEPUTY], org_id=org_id, target=target,
                                         in_chat=event.chat.is_group)
    except Denied as denied:
        await _snackbar(messenger, event, "Нет прав")
        await _say(messenger, event, denied.text)
        return None


async def _fetch(deps: Deps, messenger: MessengerPort, event: Event, file: FileRef, failed: str) -> bytes | None:
    """The file's bytes within the size limit; None after telling the deputy what went wrong (`failed`)."""
    limit = deps.settings.imports.max_file_mb
    if file.size and file.size > limit * MB:
        await _say(messenger, event, f"Не загрузил «{file.name}»: файл больше {limit:g} МБ. Сохраните только "
                                     "нужный лист или разбейте таблицу на части.")
        return None
    try:
        return await messenger.download(file, int(limit * MB) + 1)
    except PortFailure:
        await _say(messenger, event, failed)
        return None


async def _import(deps: Deps, messenger: MessengerPort, dialogs: StateStore, bot_id: int, imports: ImportService,
                  event: Event, deputy: Person, file: FileRef, kind: str | None) -> None:
    """Download, import and report to the deputy."""
    data = await _fetch(deps, messenger, event, file,
                        f"Не получилось скачать «{file.name}». Пришлите файл ещё раз, пожалуйста.")
    if data is None:
        return
    try:
        outcome = await imports.submit(data, file.name, kind=kind, mode=Mode.AUTO, only_org=deputy.org_id,
                                       imported_by=event.sender)
    except ImportRefused as refused:
        await _refused(deps, messenger, event, deputy, file.name, kind, refused)
        return
    await dialogs.set(_state_key(bot_id, event), "file", {"url": file.ref, "title": file.name, "size": file.size or 0},
                      ttl=LAST_FILE_TTL)
    await _answer(messenger, imports, event, deputy, outcome, file=file)


async def _refused(deps: Deps, messenger: MessengerPort, event: Event, deputy: Person, title: str,
                   kind: str | None, refused: ImportRefused) -> None:
    """A refused file: audited, and the deputy told why and that nothing changed."""
    await deps.audit.write(actor=event.sender, actor_person_id=deputy.id, org_id=deputy.org_id,
                           action="import_file", outcome="error", target=title[:200],
                           details={"reason": str(refused)[:500], "kind": kind})
    await _say(messenger, event, f"Не загрузил «{title}»: {refused}. Ничего не изменилось — исправьте файл "
                                 "и пришлите снова.")


async def _answer(messenger: MessengerPort, imports: ImportService, event: Event, deputy: Person,
                  outcome: Outcome[ImportResult], *, file: FileRef, changed: bool = False) -> None:
    """The report of an applied import, or the preview of a held one with «Применить» and «Отменить»."""
    if outcome.preview is None:
        assert outcome.result is not None
        await _say(messenger, event, _render(outcome.result), _report_keyboard(outcome.result))
        return
    held = await imports.hold(outcome, actor=event.sender, org_id=deputy.org_id, file_name=file.name,
                              source=file.ref, size=file.size or 0)
    what = "список сотрудников" if outcome.kind == "roster" else "статистику"
    head = ("Пока вы решали, данные изменились — проверьте ещё раз." if changed else
            f"Прежде чем загрузить {what} из «{file.name}», проверьте, что изменится:")
    keyboard = Keyboard.column([
        actions.ImportApply(confirmation_id=held).button("Применить", color=Color.POSITIVE, callback=True),
        actions.ImportCancel(confirmation_id=held).button("Отменить", color=Color.NEGATIVE, callback=True),
    ])
    await _say(messenger, event, "\n".join([head, *outcome.preview.lines(), "Применить?"]), keyboard)


async def _held(deps: Deps, messenger: MessengerPort, imports: ImportService, event: ButtonPressed,
                held_id: int | None, action: str) -> tuple[Person, ImportConfirmation] | None:
    """The deputy and their open held import the button names; None after a polite refusal."""
    held = await imports.held(held_id) if held_id is not None else None
    deputy = await _deputy(deps, messenger, event, action, target=str(held_id),
                           org_id=held.org_id if held else None)
    if deputy is None:
        return None
    if held is None or held.actor != event.sender:
        await _snackbar(messenger, event, STALE_BUTTON)
        return None
    if held.status != "open":
        await _snackbar(messenger, event, _STALE.get(held.status, STALE_BUTTON))
        return None
    return deputy, held


@router.button(actions.ImportApply.filter(invalid=True))
async def on_confirm(event: ButtonPressed, action: actions.ImportApply | None, deps: Deps,
                     messenger: MessengerPort, imports: ImportService) -> None:
    """«Применить»: the held file is fetched and imported again, and applied if nothing changed meanwhile."""
    found = await _held(deps, messenger, imports, event, action.confirmation_id if action else None,
                        "import_confirm")
    if found is None:
        return
    deputy, held = found
    await _snackbar(messenger, event, "Применяю")
    file = FileRef(name=held.file_name, ref=held.source, size=held.size or None)
    data = await _fetch(deps, messenger, event, file, f"Не получилось скачать «{held.file_name}» ещё раз. "
                                                      "Пришлите файл снова, пожалуйста.")
    if data is None:
        return
    try:
        outcome = await imports.confirm(held, data, only_org=deputy.org_id)
    except AlreadyClosed:
        # Pressed twice at once: the other press applied it (or it was cancelled meanwhile).
        await _say(messenger, event, f"Загрузка «{held.file_name}» уже применена или отменена — "
                                     "повторно она не применяется.")
        return
    except ImportRefused as refused:
        await _refused(deps, messenger, event, deputy, held.file_name, held.kind, refused)
        return
    await _answer(messenger, imports, event, deputy, outcome, file=file, changed=True)


@router.button(actions.ImportCancel.filter(invalid=True))
async def on_cancel(event: ButtonPressed, action: actions.ImportCancel | None, deps: Deps,
                    messenger: MessengerPort, imports: ImportService) -> None:
    """«Отменить»: the held import is dropped; nothing changes."""
    found = await _held(deps, messenger, imports, event, action.confirmation_id if action else None,
                        "import_cancel")
    if found is None:
        return
    _, held = found
    if not await imports.cancel(held.id, event.sender):
        await _snackbar(messenger, event, "Эта загрузка уже применена или отменена")
        return
    await _snackbar(messenger, event, "Отменено")
    await _say(messenger, event, f"Загрузку «{held.file_name}» отменил: ничего не изменилось.")


@router.message(Private(), Known(), has_file)
async def on_document(event: MessageIn, file: FileRef, deps: Deps, messenger: MessengerPort,
                      dialogs: StateStore, bot_id: int, imports: ImportService) -> None:
    """A file in a private message: a deputy's table is imported, anyone else is told who may."""
    deputy = await _deputy(deps, messenger, event, "import_file", target=file.name[:200])
    if deputy is not None:
        await _import(deps, messenger, dialogs, bot_id, imports, event, deputy, file, None)


@router.message(InGroup(), has_file, _addressed)
async def on_chat_document(event: MessageIn, deps: Deps, messenger: MessengerPort) -> None:
    """A table sent to the bot in a group chat: refused (tables come only in private messages)."""
    await _deputy(deps, messenger, event, "import_file")


@router.message(InGroup(), Command(actions.ImportPending, "отложенные", "отложенные строки", "загрузить таблицу"))
async def chat_import_command(event: MessageIn, deps: Deps, messenger: MessengerPort) -> None:
    """Import commands typed in a group chat: refused, the person is told privately."""
    await _deputy(deps, messenger, event, "import_pending")


@router.message(Private(), Known(), Command(actions.Upload, "загрузить таблицу", typos=True))
async def cmd_upload(event: MessageIn, deps: Deps, messenger: MessengerPort) -> None:
    """«Загрузить таблицу»: how to send a file."""
    if await _deputy(deps, messenger, event, "import_help") is not None:
        await _say(messenger, event, HOW_TO)


@router.button(actions.ImportAs.filter())
async def on_import_as(event: ButtonPressed, action: actions.ImportAs, deps: Deps, messenger: MessengerPort,
                       dialogs: StateStore, bot_id: int, imports: ImportService) -> None:
    """Load the last file again as the other kind of table."""
    kind = action.kind
    deputy = await _deputy(deps, messenger, event, "import_file_as", target=kind)
    state = await dialogs.get(_state_key(bot_id, event))
    if deputy is None or kind not in ("roster", "stats"):
        return
    if state is None or not state.data.get("url"):
        await _snackbar(messenger, event, "Файла уже нет — пришлите его снова")
        return
    await _snackbar(messenger, event, "Загружаю заново")
    data = state.data
    file = FileRef(name=str(data.get("title") or "файл"), ref=str(data["url"]), size=int(data.get("size") or 0) or None)
    await _import(deps, messenger, dialogs, bot_id, imports, event, deputy, file, kind)


async def _show_next_pending(messenger: MessengerPort, imports: ImportService, event: Event,
                             deputy: Person) -> None:
    """The next kept-aside row of the deputy's school with its candidates, or «all done»."""
    rows = await imports.pending(deputy.org_id)
    if not rows:
        await _say(messenger, event, "Отложенных строк не осталось.")
        return
    row = rows[0]
    buttons = [actions.ImportPick(row_id=row.id, person_id=c.id).button(c.name[:40], color=Color.PRIMARY,
                                                                        callback=True)
               for c in row.candidates[:MAX_CANDIDATES]]
    buttons.append(actions.ImportPick(row_id=row.id, person_id=0).button("Пропустить", callback=True))
    period = f" за {row.period}" if row.period else ""
    hint = ("Кто это?" if row.candidates else
            "Подходящих сотрудников нет: если человек новый, добавьте его в список сотрудников "
            "и загрузите таблицу снова. Пока строку можно пропустить.")
    await _say(messenger, event, f"Отложено строк: {len(rows)}. Таблица{period}, строка {row.row_no}: "
                                 f"{row.reason}.\n{hint}", Keyboard.column(buttons))


@router.message(Private(), Known(), Command(actions.ImportPending, "отложенные", "отложенные строки", typos=True))
async def cmd_pending(event: MessageIn, deps: Deps, messenger: MessengerPort, imports: ImportService) -> None:
    """«отложенные» typed by hand: the first kept-aside row, as the report's button does."""
    deputy = await _deputy(deps, messenger, event, "import_pending")
    if deputy is not None:
        await _show_next_pending(messenger, imports, event, deputy)


@router.button(actions.ImportPending.filter())
async def on_pending(event: ButtonPressed, deps: Deps, messenger: MessengerPort, imports: ImportService) -> None:
    """«Разобрать отложенные»: show the first kept-aside row."""
    deputy = await _deputy(deps, messenger, event, "import_pending")
    if deputy is not None:
        await _show_next_pending(messenger, imports, event, deputy)


@router.button(actions.ImportPick.filter())
async def on_pick(event: ButtonPressed, action: actions.ImportPick, deps: Deps, messenger: MessengerPort,
                  imports: ImportService) -> None:
    """A candidate chosen (or «Пропустить») for a kept-aside row; then the next one."""
    row = await imports.get_pending(action.row_id)
    deputy = await _deputy(deps, messenger, event, "resolve_pending", target=str(action.row_id),
                           org_id=row.org_id if row else None)
    if deputy is None:
        return
    if row is None:
        await _snackbar(messenger, event, "Эта строка уже разобрана или кнопка устарела")
        return
    try:
        await imports.resolve_pending(row.id, action.person_id or None, actor=event.sender)
    except ImportRefused as refused:
        await _snackbar(messenger, event, str(refused))
        return
    await _snackbar(messenger, event, "Сохранено" if action.person_id else "Пропущено")
    await _show_next_pending(messenger, imports, event, deputy)
