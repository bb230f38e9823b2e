"""Runs the demo: an emulator, the demo school and the bot in one process, on VK, on MAX or both.

One scripted list of steps (bot/demo/script.py) plays every feature on each messenger's stage
(bot/demo/stages.py); each step's replies are read back from what the emulator recorded, checked,
and printed as a chat transcript. A step a messenger cannot play yet is listed, never hidden.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from bot.demo.fixture import DemoFixture, load_fixture
from bot.demo.script import demo_steps
from bot.demo.stages import DemoFailed, Said, Stage, open_max, open_vk
from bot.demo.steps import Step

JSON = dict[str, Any]


class Transcript:
    """Prints the conversation as people would read it."""

    def __init__(self, fixture: DemoFixture, out: TextIO) -> None:
        self._names = {p.vk_id: p.full_name for p in fixture.people}
        self._out = out

    def name(self, vk_id: int) -> str:
        return self._names.get(vk_id, f"id{vk_id}")

    def line(self, text: str = "") -> None:
        print(text, file=self._out, flush=True)

    def person(self, vk_id: int, what: str) -> None:
        self.line(f"  👤 {self.name(vk_id)}: {what}")

    def said(self, message: Said) -> None:
        """A message of the bot's, as either messenger delivered it."""
        indent = "\n" + " " * 6
        self.line(f"  🤖 → {message.to}:{indent}" + indent.join(message.text.strip().splitlines() or [""]))
        for kind, name in message.files:
            self.line(f"      📎 {kind}: {name}")
        if message.buttons:
            self.line("      [" + "] [".join(label for label, _ in message.buttons) + "]")

    def bot(self, message: JSON) -> None:
        to = self.name(int(message["peer_id"]))
        text = str(message.get("text") or "").strip()
        indent = "\n" + " " * 6
        self.line(f"  🤖 → {to}:{indent}" + indent.join(text.splitlines() or [""]))
        for attachment in message.get("attachments") or []:
            self.line(f"      📎 {attachment.get('type')}: {attachment.get('title') or attachment.get('url')}")
        labels = [b["action"].get("label") for row in (message.get("keyboard") or {}).get("buttons", [])
                  for b in row if b["action"].get("label")]
        if labels:
            self.line("      [" + "] [".join(labels) + "]")


async def act(stage: Stage, step: Step, transcript: Transcript, last: dict[int, Said]) -> list[Said]:
    """Perform a step on `stage` and return the bot's replies to the watched person or chat."""
    target = step.to or step.actor
    chat = step.in_chat if step.to is None else None
    if step.chat is not None:
        transcript.line("  ⚙ " + await stage.add_chat(*step.chat))
    after = await stage.mark(target, chat)
    if step.before is not None:
        note = await step.before(stage)
        if note:
            transcript.line(f"  ⚙ {note}")
    elif step.press is not None:
        message = last.get(step.actor)
        if message is None:
            raise DemoFailed("нет сообщения с кнопками")
        transcript.person(step.actor, f"нажимает «{step.press}»")
        await stage.press(step.actor, message, step.press)
    else:
        text = step.text
        if step.text_from is not None:
            previous = last.get(step.actor)
            text = step.text_from(previous.text if previous else "")
        shown = text or (f"📎 {step.doc[0]}" if step.doc else "")
        transcript.person(step.actor, shown if step.in_chat is None else f"(в групповом чате) {shown}")
        await stage.say(step.actor, text, chat=step.in_chat, doc=step.doc)
    count = step.replies + (step.files if stage.messenger == "max" else 0)
    if count == 0:
        return []
    replies = await stage.wait(target, chat, count, after)
    for reply in replies:
        transcript.said(reply)
    if chat is None:
        last[target] = replies[-1]
    return replies


async def play(steps: list[Step], stage: Stage, transcript: Transcript) -> tuple[int, list[int]]:
    """Play every step on `stage`; the number of failed steps and the numbers of those not played."""
    failed = 0
    skipped: list[int] = []
    last: dict[int, Said] = {}
    for number, step in enumerate(steps, 1):
        transcript.line(f"\n— {number}. {step.title}")
        why = step.not_on.get(stage.messenger)
        if why is not None:
            skipped.append(number)
            transcript.line(f"  ⏭ в {stage.title} пока не работает: {why}")
            if step.instead is not None:
                note = await step.instead(stage)
                if note:
                    transcript.line(f"  ⚙ вместо этого: {note}")
            continue
        try:
            replies = await act(stage, step, transcript, last)
        except (TimeoutError, DemoFailed) as exc:
            transcript.line(f"  ✗ нет нужного ответа: {exc}")
            failed += 1
            continue
        then = step.then_on.get(stage.messenger)
        if then is not None:
            note = await then(stage)
            if note:
                transcript.line(f"  ⚙ {note}")
        text = "\n".join(r.matchable() for r in replies).lower()
        wanted = [*step.expect, *step.expect_on.get(stage.messenger, [])]
        missing = [e for e in wanted if e.lower() not in text]
        if missing:
            transcript.line(f"  ✗ в ответе нет: {', '.join(missing)}")
            failed += 1
    return failed, skipped


MESSENGERS = ("vk", "max")


async def run_demo(out: TextIO, steps_factory: Callable[[DemoFixture], list[Step]] | None = None,
                   messengers: tuple[str, ...] = MESSENGERS) -> int:
    """The scripted demo on each messenger in turn; exit code 0 when every step played got its reply."""
    openers = {"vk": open_vk, "max": open_max}
    started = time.monotonic()
    fixture = load_fixture()
    transcript = Transcript(fixture, out)
    total_failed = 0
    summary: list[str] = []
    for messenger in messengers:
        title = {"vk": "ВКонтакте", "max": "MAX"}[messenger]
        stage_started = time.monotonic()
        transcript.line(f"Демо sferum-bot: {fixture.school.name}, эмулятор {title} на 127.0.0.1")
        with tempfile.TemporaryDirectory(prefix="sferum-demo-") as tmp:
            stage = await openers[messenger](Path(tmp), fixture)
            try:
                steps = (steps_factory or demo_steps)(fixture)
                failed, skipped = await play(steps, stage, transcript)
                delivered = await stage.delivered()
            finally:
                await stage.close()
        total_failed += failed
        line = (f"{title}: шагов {len(steps)}, сыграно {len(steps) - len(skipped)}, с ошибкой: {failed}. "
                f"Сообщений доставлено: {delivered}. Время: {time.monotonic() - stage_started:.1f} с.")
        if skipped:
            line += f" Пока не работают в {title}: шаги {', '.join(map(str, skipped))} (см. выше)."
        summary.append(line)
        transcript.line(f"\n{line}\n")
    elapsed = time.monotonic() - started
    if len(summary) > 1:
        transcript.line("Итого:\n" + "\n".join(summary))
    transcript.line(f"Время: {elapsed:.1f} с.")
    return 0 if total_failed == 0 else 1
