"""The scheduled weekly summary reaches a head in MAX: the text, the chart and the workbook, uploaded to MAX."""

from __future__ import annotations

import datetime as dt

from bot.app import App
from bot.domain.models import Period
from max_emulator.client import MaxEmulatorControl
from storage.stats import StatsRepo
from tests.max.conftest import DIRECTOR

MSK = dt.timezone(dt.timedelta(hours=3))


async def test_the_scheduled_summary_reaches_the_director_in_max(max_app: App, max_ctl: MaxEmulatorControl) -> None:
    """A school configured only with [max]: once a week's table settles, the scheduler sends the director the
    summary in their MAX dialog with the chart (an image) and the workbook (a file), both uploaded to MAX; the
    deputy, who never started the bot, is skipped without stopping it."""
    assert max_app.scheduler is not None
    director_chat = await max_ctl.start(DIRECTOR)
    imported = dt.datetime.now(dt.UTC)  # the import below is stamped with the real time
    # A weekday noon in Moscow a few days later: outside quiet hours, settled, the table still fresh.
    loud = (imported + dt.timedelta(days=3)).astimezone(MSK).replace(hour=12, minute=0, second=0, microsecond=0)
    while loud.weekday() >= 5:
        loud += dt.timedelta(days=1)
    period = Period.last_completed(loud)
    people = [p for p in await max_app.deps.people.in_org("school1") if p.source != "config"]
    async with max_app.db.transaction() as conn:
        import_id = await StatsRepo.create_import_in(
            conn, org_id="school1", kind="person", period=period, file_name="week.xlsx", rows_read=len(people),
            rows_imported=len(people), problems=[], imported_by=None)
        await StatsRepo.put_person_values_in(conn, period, [
            (p.id, "school1", import_id, {"group_messages": 3 * n, "registered": True}) for n, p in enumerate(people)])
    uploads_before = (await max_ctl.stats())["requests"].get("POST /uploads", 0)
    assert await max_app.scheduler.summary_check(loud) == ["school1"]
    job = await max_app.scheduler.repo.job("school1:weekly_summary")
    assert job is not None and job.outcome == "ok", job
    # MAX takes a file only alone: the text with the chart, then the workbook as a message of its own.
    summary, workbook = await max_ctl.wait_sent(director_chat, 2, timeout=30)
    assert summary["text"].startswith("Сводка за неделю")
    assert [a["type"] for a in summary["attachments"]] == ["image"]
    assert [(a["type"], a.get("filename")) for a in workbook["attachments"]] == [
        ("file", f"svodka-school1-{period.key}.xlsx")]
    # The chart and the workbook are uploaded for each head (the director and the deputy).
    assert (await max_ctl.stats())["requests"]["POST /uploads"] - uploads_before == 4
    assert await max_app.scheduler.summary_check(loud + dt.timedelta(minutes=1)) == []  # once per table
