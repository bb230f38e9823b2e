"""A simulated region week on one deployment: 1,000 schools, 60,000 people in VK and 3,000 in MAX, 2 workers.

Usage: python benchmarks/bench_region_week.py [--pg-url URL] [--scale 1.0] [--schools 1000]
       [--vk-people 60000] [--max-people 3000] [--confirm-vk 1000] [--confirm-max 100]
       [--summary-schools 10] [--naive-people 6000]

One regional deployment on PostgreSQL (--pg-url or SFERUM_TEST_PG_URL; its database is created and dropped
here): one VK community and one MAX bot (polling), no [[schools]] in its config, a region official and a
district official. The VK emulator (20 requests/s) and the MAX emulator (30 requests/s, 2 sends/s per chat)
run as processes of their own on 127.0.0.1; the bot is `sferum-bot run --workers 2`. `--scale 0.05` scales
every count down. Stages, each timed and checked:
1. import: `sferum-bot import-schools` of the schools' table (ИНН, district, timezone, heads' VK and MAX ids),
   then `sferum-bot import-roster` of ONE regional roster routed by its «ИНН» column (the CLI has it);
2. stats: `sferum-bot import-stats` of the regional weekly per-person table routed by «ИНН»;
3. reminders: everyone has 1 group message (under 3), so everyone gets exactly one reminder. The scheduler
   fires on the clock in the schools' timezones outside quiet hours, and a table school has the default
   schedule (Monday 10:00, quiet at night and at weekends; the table has no column for it), so a run at any
   other hour could not wait for it: the wave is planned as the scheduler plans it (`ReminderService.plan`
   at Monday 10:00, staged in the log and the outbox, `wave_plan.plan_and_stage`) and the 2 workers' outbox
   sweeps deliver it. Counted in the emulators: lost, duplicates, VK error 6, MAX 429;
   naive beside it, in the same run: one `sferum-bot run` (one worker) sending a scaled-down VK wave of
   `--naive-people` stored in the outbox (`workers_run.store_wave`);
4. confirmations: sampled teachers write the chat-migration dialog (`мои чаты`, `1`, `телеграм`, a link,
   `30`, `да`, `да`) through the emulators' user-side API, each step waiting for the bot's reply; each
   confirmation is counted in the database (exactly one per teacher);
5. summaries: heads of sampled schools (VK and MAX), a district official and the region official write
   «сводка» and wait for the text and the xlsx; the region's xlsx must rank every school.
Printed: stage, count, seconds, rate, lost, duplicates.

Measured at full scale (--scale 1.0: 1,000 schools, 60,000 VK + 3,000 MAX; 2 shared cores, load average
2.2–5.1 from other sessions' jobs), twice, nothing lost and nothing duplicated in any stage:
- import-schools 1,000 in 0.8 s; regional roster 63,000 rows in 24.4 / 15.2 s; regional stats 63,000 rows
  in 16.4 / 18.4 s, 0 problems; naive 1 worker 6,000 VK in 26.9 / 41.1 s; 2 workers 63,000 reminders in
  154.0 / 153.7 s (409/s; planning and staging 74.5 / 75.9 s of it, in this process while the workers
  already send), VK 60,000 + MAX 3,000, VK error 6: 25 / 24 (retried), MAX 429: 0; 12 «сводка» with text
  and xlsx in 7.6 / 8.3 s, the region's xlsx ranks 1,000 of 1,000 schools.
- confirmations, 1,100 dialogs (1,000 VK + 100 MAX, 7 messages each, 100 people at a time): 778.2 s with
  one messages.send per reply, then 153.7 s with replies sharing executes (bot.vk.replies). The driver was
  not the limit: the worker that reads the community's updates answers every VK message, and at its share
  of the token (95 % of 20 requests/s over 2 workers = 9.5/s) one request per reply made each person wait
  ~10 s per reply; now the replies waiting for a slot go 25 to an execute (~70 replies/s here).
- 2026-12-06, a quiet machine (load average 0.7–1.2), after the wave's set-wise reads, the import's lighter
  index and the ReplyBatcher lane fix: roster 9.7 s, stats 9.3 s; naive 6,000 in 16.8 s; 63,000 reminders in
  128.8 s (489/s; planning and staging 29.9 s of it), VK error 6: 0, MAX 429: 0; 1,100 confirmations in 91.6 s;
  12 «сводка» in 6.5 s, 1,000 of 1,000 schools ranked; nothing lost or duplicated.
Earlier, scaled down:
- --scale 0.25 (250 schools, 15,000 VK + 750 MAX), load average 2.9–4.3: import-schools 1.2 s;
  regional roster 15,750 rows 5.4 s; regional stats 15,750 rows 4.3 s; naive 1 worker 1,500 VK in 3.9 s
  (385/s); 2 workers 15,750 reminders in 67.0 s (235/s, planning and staging 15.7 s of it, in this process
  while the workers already send), 0 lost, 0 duplicates, VK error 6: 2 (retried), MAX 429: 0;
  275 confirmations (250 VK + 25 MAX, 7 messages each) in 184.5 s, each recorded once; 8 «сводка» with
  text and xlsx in 4.6 s, the region's xlsx ranks 250 of 250 schools.
- --scale 0.1 (100 schools), load average 4.2–5.9: roster 7.4 s, stats 5.4 s, naive 600 in 3.6 s,
  6,300 reminders in 39.7 s (0/0, error 6: 0, 429: 0), 110 confirmations in 74.2 s, 3 summaries in 1.8 s.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import openpyxl
import psycopg

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks import wave_plan  # noqa: E402
from benchmarks import workers_run as run  # noqa: E402
from benchmarks.bench_bulk_send import _seed as seed_vk  # noqa: E402 - the same seeding
from benchmarks.bench_bulk_send import _start_emulator  # noqa: E402 - the same emulator process
from benchmarks.bench_import import full_name  # noqa: E402 - the same unique names
from benchmarks.bench_workers import _database  # noqa: E402 - created and dropped the same way
from bot.app import build_max_sending  # noqa: E402
from bot.config import load_settings  # noqa: E402
from bot.messaging.delivery import RoutedOutbound  # noqa: E402
from bot.messaging.events import Messenger  # noqa: E402
from bot.vk.outbound import VkOutbound  # noqa: E402
from max_emulator.client import MaxEmulatorControl  # noqa: E402
from storage.outbox import OutboxRepo  # noqa: E402
from storage.pg import PgDatabase  # noqa: E402
from storage.schools import SchoolsRepo  # noqa: E402
from vk_emulator import EmulatorControl  # noqa: E402

VK_TOKEN, GROUP_ID = "region-vk", 777
MAX_TOKEN, MAX_BOT_ID = "region-max", 9100
FIRST_VK, FIRST_MAX = 1_000_000, 7_000_000
DIRECTOR_VK, DEPUTY_VK, DIRECTOR_MAX = 5_000_000, 5_100_000, 8_000_000
REGION_VK, DISTRICT_VK = 9_000_001, 9_000_002
DISTRICTS, DISTRICT = 20, "Район 1"
TIMEZONES = ("Europe/Moscow", "Europe/Samara", "Asia/Yekaterinburg")
PERIOD = "2026-11-14..2026-11-20"
# A standby tries a role's lock every second. The outbox lease stays at its default (60 s): nothing is killed
# here, and a 5 s lease (as bench_workers uses) is shorter than a worker needs to send a claimed MAX page of
# 300 rows at its half of 30 requests/s, so the other worker takes those rows over and MAX gets them twice.
ENV = {"SFERUM_ROLE_RETRY_S": "1"}
DIALOG = ("мои чаты", "1", "телеграм", "https://vk.me/join/AJQ1dRegion{n}", "30", "да", "да")
CONCURRENT = 100  # people talking to the bot at once in stages 4 and 5
REPLY_S = 120.0  # how long one person waits for one reply under the whole region's load


@dataclass
class Region:
    """Who is who: schools, people (VK first, then MAX) and the school of each."""

    schools: int
    vk: int
    max: int

    @property
    def people(self) -> int:
        return self.vk + self.max

    def inn(self, n: int) -> str:
        return f"77{n:08d}"

    def school_of(self, i: int) -> int:
        return i % self.schools

    def vk_id(self, i: int) -> int:
        return FIRST_VK + i

    def max_id(self, i: int) -> int:
        return FIRST_MAX + i - self.vk

    def director(self, n: int) -> tuple[str, int]:
        """Even schools' directors are in VK, odd ones' in MAX."""
        return ("vk", DIRECTOR_VK + n) if n % 2 == 0 else ("max", DIRECTOR_MAX + n)


@dataclass
class Row:
    stage: str
    count: int
    seconds: float
    lost: int = 0
    duplicates: int = 0
    note: str = ""


@dataclass
class Bench:
    region: Region
    folder: Path
    pg_url: str
    config: Path = Path()
    vk_base: str = ""
    max_base: str = ""
    rows: list[Row] = field(default_factory=list)
    procs: list[subprocess.Popen[str]] = field(default_factory=list)
    workers: list[run.Worker] = field(default_factory=list)
    naive: int = 0
    confirm_vk: int = 0
    confirm_max: int = 0
    summary_schools: int = 0


def _xlsx(path: Path, title: str | None, header: list[str], rows: Any) -> None:
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("Лист1")
    if title:
        sheet.append([title])
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    book.save(path)


def write_tables(region: Region, folder: Path) -> tuple[Path, Path, Path]:
    """The schools' table, the regional roster and the regional weekly per-person table."""
    schools, roster, stats = folder / "schools.xlsx", folder / "roster.xlsx", folder / "stats.xlsx"
    _xlsx(schools, None, ["Наименование", "ИНН", "Район", "Часовой пояс", "Директор VK", "Заместители VK",
                          "Директор MAX", "Заместители MAX"],
          ([f"МБОУ СОШ № {n + 1}", region.inn(n), f"Район {n % DISTRICTS + 1}", TIMEZONES[n % len(TIMEZONES)],
            *((DIRECTOR_VK + n, DEPUTY_VK + n, "", "") if region.director(n)[0] == "vk"
               else ("", DEPUTY_VK + n, DIRECTOR_MAX + n, ""))] for n in range(region.schools)))
    _xlsx(roster, None, ["ИНН", "ФИО", "Должность", "VK", "ID MAX", "Классы"],
          ([region.inn(region.school_of(i)), full_name(i), "учитель",
            region.vk_id(i) if i < region.vk else "", "" if i < region.vk else region.max_id(i), "5А"]
           for i in range(region.people)))
    _xlsx(stats, "Мониторинг использования ИКОП «Сферум» за период с 14.11.2026 по 20.11.2026",
          ["ИНН", "ФИО", "Сообщений в групповых чатах", "Звонков", "Создал(а) групповой чат",
           "Связал(а) аккаунт ЭЖД", "Зарегистрирован(а)"],
          ([region.inn(region.school_of(i)), full_name(i), 1, 0, "нет", "да", "да"] for i in range(region.people)))
    return schools, roster, stats


def write_config(bench: Bench) -> Path:
    config = bench.folder / "config.toml"
    config.write_text(f"""
[vk]
token = "{VK_TOKEN}"
group_id = {GROUP_ID}
api_url = "{bench.vk_base}/method/"
wait = 1

[max]
token = "{MAX_TOKEN}"
api_url = "{bench.max_base}"
mode = "polling"

[metrics]
enabled = false

[storage]
data_dir = "{bench.folder / 'data'}"
url = "{bench.pg_url}"

[district]
name = "Область"
official_vk_ids = [{REGION_VK}]

[[district.officials]]
district = "{DISTRICT}"
vk_ids = [{DISTRICT_VK}]
""", encoding="utf-8")
    return config


def cli(config: Path, *args: str) -> tuple[float, dict[str, Any]]:
    """`sferum-bot ARGS --config … --json`: seconds and the JSON it printed (a failure stops the benchmark)."""
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "bot", *args, "--config", str(config), "--json"], cwd=REPO,
                          capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(REPO)}, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"sferum-bot {args[0]} exited with {done.returncode}: {done.stderr.strip()}")
    return seconds, json.loads(done.stdout.strip().splitlines()[-1])


def _start_max_emulator(folder: Path, users: list[dict[str, Any]]) -> tuple[subprocess.Popen[str], str]:
    """`max_emulator_proc.py` with `users` as having started the bot (30 requests/s); the process and its URL."""
    users_file = folder / "max-users.json"
    users_file.write_text(json.dumps(users), "utf-8")
    cmd = [sys.executable, str(REPO / "benchmarks" / "max_emulator_proc.py"), "--users", str(users_file),
           "--port", "0", "--token", MAX_TOKEN, "--bot-id", str(MAX_BOT_ID), "--no-validate"]
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()
    if not line.startswith("emulator listening on "):
        proc.kill()
        raise SystemExit(f"the MAX emulator did not start: {line!r}")
    return proc, line.removeprefix("emulator listening on ")


async def start_emulators(bench: Bench) -> None:
    region = bench.region
    proc, bench.vk_base = _start_emulator(False, VK_TOKEN, GROUP_ID)
    bench.procs.append(proc)
    heads = [DIRECTOR_VK + n for n in range(region.schools) if region.director(n)[0] == "vk"]
    async with EmulatorControl(bench.vk_base) as control:
        await seed_vk(control, [*map(region.vk_id, range(region.vk)), *heads,
                                *(DEPUTY_VK + n for n in range(region.schools)), REGION_VK, DISTRICT_VK])
    users = [{"user_id": region.max_id(i), "first_name": f"Учитель{i}"} for i in range(region.vk, region.people)]
    users += [{"user_id": DIRECTOR_MAX + n, "first_name": f"Директор{n}"} for n in range(region.schools)
              if region.director(n)[0] == "max"]
    max_proc, bench.max_base = _start_max_emulator(bench.folder, users)
    bench.procs.append(max_proc)


async def stage_import(bench: Bench, schools: Path, roster: Path, stats: Path) -> None:
    region = bench.region
    seconds, result = cli(bench.config, "import-schools", str(schools), "--yes")
    bench.rows.append(Row("import-schools", result["schools"], seconds, lost=region.schools - result["added"]))
    seconds, result = cli(bench.config, "import-roster", str(roster), "--yes")
    bench.rows.append(Row("import-roster (regional)", result["added"], seconds,
                          lost=region.people - result["added"], note=f"{len(result['problems'])} problems"))
    seconds, result = cli(bench.config, "import-stats", str(stats), "--period", PERIOD, "--yes")
    bench.rows.append(Row("import-stats (regional)", result["rows_imported"], seconds,
                          lost=region.people - result["rows_imported"], note=f"{len(result['problems'])} problems"))


async def outbox_left(pg_url: str) -> int:
    db = await PgDatabase.open(pg_url, migrate=False)
    try:
        repo = OutboxRepo(db)
        counts = [await repo.counts(messenger) for messenger in ("vk", "max")]
        return sum(c.get(status, 0) for c in counts for status in ("pending", "sending"))
    finally:
        await db.close()


async def workers_registered(pg_url: str, count: int) -> None:
    async def registered() -> bool:
        with psycopg.connect(pg_url) as conn:
            row = conn.execute("SELECT count(*) FROM workers").fetchone()
        return (int(row[0]) if row else 0) == count

    await run.wait_for(registered, 120, f"{count} worker(s) registered")
    await asyncio.sleep(3)  # the rate shares settle (each joining worker holds back 2 s), as in bench_workers


async def vk_items(base: str, after: int) -> list[dict[str, Any]]:
    async with EmulatorControl(base) as control:
        items: list[dict[str, Any]] = (await control.sent(None, after=after))["items"]
        return items


async def max_items(base: str, after: int) -> list[dict[str, Any]]:
    async with MaxEmulatorControl(base) as control:
        return await control.sent(None, after=after)


def last_seq(items: list[dict[str, Any]], default: int) -> int:
    return max((int(item["seq"]) for item in items), default=default)


def exactness(expected: list[int], got: Counter[int]) -> tuple[int, int]:
    """(lost, duplicates): expected peers that got nothing, and messages beyond one each (or to others)."""
    wanted = set(expected)
    lost = sum(1 for peer in expected if got[peer] == 0)
    extra = sum(n - 1 for peer, n in got.items() if peer in wanted and n > 1)
    extra += sum(n for peer, n in got.items() if peer not in wanted)
    return lost, extra


async def stage_naive(bench: Bench) -> None:
    """One `sferum-bot run` sending a stored VK wave of --naive-people: the way before several workers."""
    ids = [bench.region.vk_id(i) for i in range(min(bench.region.vk, bench.naive))]
    if not ids:
        return
    marker = last_seq(await vk_items(bench.vk_base, 0), 0)
    worker = await run.start_worker(bench.config, "naive.log", env=ENV)
    bench.workers.append(worker)
    await workers_registered(bench.pg_url, 1)
    started = time.perf_counter()
    await run.store_wave(bench.pg_url, ids, week="2026-11-07")
    await run.wait_for(lambda: _none_left(bench.pg_url), 900, "the naive wave sent")
    seconds = time.perf_counter() - started
    assert await worker.stop() == 0, worker.text()[-2000:]
    got = Counter(int(item["peer_id"]) for item in await vk_items(bench.vk_base, marker))
    lost, duplicates = exactness(ids, got)
    async with EmulatorControl(bench.vk_base) as control:
        limited = int((await control.stats())["rate_limited"])
    bench.rows.append(Row("reminders, naive: 1 worker, VK", len(ids), seconds, lost, duplicates,
                          note=f"VK error 6: {limited}"))


async def _none_left(pg_url: str) -> bool:
    return await outbox_left(pg_url) == 0


async def stage_reminders(bench: Bench) -> None:
    """The regional wave planned as the scheduler plans it and delivered by the 2 workers."""
    region = bench.region
    vk_marker = last_seq(await vk_items(bench.vk_base, 0), 0)
    max_marker = last_seq(await max_items(bench.max_base, 0), 0)
    async with EmulatorControl(bench.vk_base) as control:
        vk_limited = int((await control.stats())["rate_limited"])
    settings = load_settings(bench.config)
    db = await PgDatabase.open(bench.pg_url, migrate=False)
    try:
        settings = settings.with_table_schools(await SchoolsRepo(db).all())
        vk = VkOutbound(None, OutboxRepo(db), settings)  # type: ignore[arg-type]  # stages only, sends nothing
        outbound = RoutedOutbound(vk, {Messenger.MAX: build_max_sending(settings, db).outbound},
                                  bot_of=settings.bot_of)
        started = time.perf_counter()
        staged = await wave_plan.plan_and_stage(db, settings, outbound)
    finally:
        await db.close()
    await run.wait_for(lambda: _none_left(bench.pg_url), 3600, "the regional wave sent")
    seconds = time.perf_counter() - started
    vk_got = Counter(int(item["peer_id"]) for item in await vk_items(bench.vk_base, vk_marker))
    async with MaxEmulatorControl(bench.max_base) as control:
        dialogs = {int(u["dialog_chat_id"]): int(u["user_id"]) for u in (await control.users())["items"]
                   if u.get("dialog_chat_id")}
        max_limited = int((await control.stats())["rate_limited"])
    max_sent = await max_items(bench.max_base, max_marker)
    max_got = Counter(dialogs.get(int(item["chat_id"]), -1) for item in max_sent)
    async with EmulatorControl(bench.vk_base) as control:
        vk_limited = int((await control.stats())["rate_limited"]) - vk_limited
    vk_lost, vk_dupes = exactness([region.vk_id(i) for i in range(region.vk)], vk_got)
    max_lost, max_dupes = exactness([region.max_id(i) for i in range(region.vk, region.people)], max_got)
    wanted = {region.max_id(i) for i in range(region.vk, region.people)}
    strays = [(dialogs.get(int(item["chat_id"]), -1), (item["text"] or "")[:100]) for item in max_sent
              if dialogs.get(int(item["chat_id"]), -1) not in wanted or max_got[dialogs[int(item["chat_id"])]] > 1]
    if strays:
        print(f"  MAX messages beyond one reminder each: {len(strays)}, e.g. {strays[:3]}", flush=True)
    bench.rows.append(Row("reminders: 2 workers, VK + MAX", staged["planned"], seconds, vk_lost + max_lost,
                          vk_dupes + max_dupes,
                          note=f"planned and staged in {staged['seconds']:.1f} s; VK {sum(vk_got.values())}, "
                               f"MAX {sum(max_got.values())}; VK error 6: {vk_limited}, MAX 429: {max_limited}"))


async def _vk_talk(control: EmulatorControl, user: int, texts: list[str], after: int,
                   until: Callable[[dict[str, Any]], bool] | None = None) -> list[dict[str, Any]]:
    """Say each text as `user`, waiting for the bot's reply to each; with `until`, keep reading the replies
    to the last text until one satisfies it. Every reply read."""
    got: list[dict[str, Any]] = []
    for text in texts:
        await control.say(user, text)
        items = await control.wait_sent(user, 1, after=after, timeout=REPLY_S)
        after = last_seq(items, after)
        got += items
    while until is not None and not any(until(item) for item in got):
        items = await control.wait_sent(user, 1, after=after, timeout=REPLY_S)
        after = last_seq(items, after)
        got += items
    return got


async def _max_talk(control: MaxEmulatorControl, user: int, texts: list[str], after: int,
                    until: Callable[[dict[str, Any]], bool] | None = None) -> list[dict[str, Any]]:
    got: list[dict[str, Any]] = []
    chat = 0
    for text in texts:
        said = await control.say(user, text)
        chat = int(said["chat_id"])
        items = await control.wait_sent(chat, 1, after=after, timeout=REPLY_S)
        after = last_seq(items, after)
        got += items
    while until is not None and not any(until(item) for item in got):
        items = await control.wait_sent(chat, 1, after=after, timeout=REPLY_S)
        after = last_seq(items, after)
        got += items
    return got


async def _gather(jobs: list[Callable[[], Awaitable[Any]]]) -> list[Any]:
    """Run the jobs CONCURRENT at a time; each result, or the exception it raised."""
    gate = asyncio.Semaphore(CONCURRENT)

    async def one(job: Callable[[], Awaitable[Any]]) -> Any:
        async with gate:
            return await job()

    return await asyncio.gather(*(one(job) for job in jobs), return_exceptions=True)


def _sample(first: int, count: int, size: int) -> list[int]:
    """`size` indices spread evenly over first … first + count - 1 (so over the schools)."""
    size = min(size, count)
    return [first + k * count // size for k in range(size)] if size else []


async def stage_confirmations(bench: Bench) -> None:
    region = bench.region
    vk_people = _sample(0, region.vk, bench.confirm_vk)
    max_people = _sample(region.vk, region.max, bench.confirm_max)
    vk_after = last_seq(await vk_items(bench.vk_base, 0), 0)
    max_after = last_seq(await max_items(bench.max_base, 0), 0)
    confirmed: Callable[[dict[str, Any]], bool] = lambda item: "подтверждён" in (item.get("text") or "")  # noqa: E731
    async with EmulatorControl(bench.vk_base) as vk, MaxEmulatorControl(bench.max_base) as mx:
        jobs: list[Callable[[], Awaitable[Any]]] = [
            (lambda i=i: _vk_talk(vk, region.vk_id(i), [t.format(n=i) for t in DIALOG], vk_after, confirmed))
            for i in vk_people]
        jobs += [(lambda i=i: _max_talk(mx, region.max_id(i), [t.format(n=i) for t in DIALOG], max_after, confirmed))
                 for i in max_people]
        started = time.perf_counter()
        results = await _gather(jobs)
        seconds = time.perf_counter() - started
    failed = [r for r in results if isinstance(r, BaseException)]
    with psycopg.connect(bench.pg_url) as conn:
        rows = conn.execute("SELECT p.vk_id, p.max_id, count(*) FROM chat_confirmations c "
                            "JOIN people p ON p.id = c.person_id WHERE c.status = 'confirmed' "
                            "GROUP BY p.vk_id, p.max_id").fetchall()
    by_person = {(vk_id or max_id): int(n) for vk_id, max_id, n in rows}
    sampled = [region.vk_id(i) for i in vk_people] + [region.max_id(i) for i in max_people]
    lost = sum(1 for peer in sampled if by_person.get(peer, 0) == 0)
    duplicates = sum(n - 1 for n in by_person.values() if n > 1) + sum(
        n for peer, n in by_person.items() if peer not in set(sampled))
    note = f"{len(vk_people)} VK + {len(max_people)} MAX, 7 messages each"
    if failed:
        note += f"; {len(failed)} dialogs failed, first: {failed[0]!r}"[:300]
    bench.rows.append(Row("confirmations", len(sampled), seconds, lost, duplicates, note=note))


def _doc_url(item: dict[str, Any]) -> str | None:
    """The xlsx a sent message carries (VK: a doc, the chart is a photo; MAX: a file named .xlsx), if any."""
    for attachment in item.get("attachments") or []:
        url = attachment.get("url")
        if url and (attachment["type"] == "doc" or str(attachment.get("filename", "")).endswith(".xlsx")):
            return str(url)
    return None


async def _schools_in_xlsx(url: str) -> int:
    async with aiohttp.ClientSession() as session, session.get(url) as resp:
        data = await resp.read()
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    sheet = book["Рейтинг"]
    return sum(1 for row in sheet.iter_rows(min_row=2, values_only=True) if any(v is not None for v in row))


async def stage_summaries(bench: Bench) -> None:
    region = bench.region
    heads = [region.director(n) for n in _sample(0, region.schools, bench.summary_schools)]
    vk_after = last_seq(await vk_items(bench.vk_base, 0), 0)
    max_after = last_seq(await max_items(bench.max_base, 0), 0)
    has_xlsx: Callable[[dict[str, Any]], bool] = lambda item: _doc_url(item) is not None  # noqa: E731
    async with EmulatorControl(bench.vk_base) as vk, MaxEmulatorControl(bench.max_base) as mx:
        def ask(messenger: str, user: int) -> Callable[[], Awaitable[list[dict[str, Any]]]]:
            if messenger == "vk":
                return lambda: _vk_talk(vk, user, ["сводка"], vk_after, has_xlsx)
            return lambda: _max_talk(mx, user, ["сводка"], max_after, has_xlsx)

        askers = [*heads, ("vk", DISTRICT_VK), ("vk", REGION_VK)]
        started = time.perf_counter()
        results = await _gather([ask(messenger, user) for messenger, user in askers])
        seconds = time.perf_counter() - started
    failed = [r for r in results if isinstance(r, BaseException)]
    answered = [r for r in results if not isinstance(r, BaseException)]
    note = f"{len(heads)} heads, 1 district, 1 region"
    district_reply = results[-2]
    if isinstance(district_reply, list) and not any(DISTRICT in (item.get("text") or "") for item in district_reply):
        note += "; the district official's reply does not name the district — WRONG"
    region_reply = results[-1]
    if isinstance(region_reply, list):
        url = next(u for item in region_reply if (u := _doc_url(item)))
        ranked = await _schools_in_xlsx(url)
        note += f"; the region's xlsx ranks {ranked} of {region.schools} schools"
        if ranked != region.schools:
            note += " — WRONG"
    if failed:
        note += f"; {len(failed)} failed, first: {failed[0]!r}"[:300]
    bench.rows.append(Row("summaries («сводка»)", len(askers), seconds, lost=len(askers) - len(answered),
                          note=note))


def print_table(bench: Bench) -> None:
    print(f"\n{'stage':34} {'count':>7} {'seconds':>8} {'per s':>8} {'lost':>5} {'dupl':>5}  notes", flush=True)
    for row in bench.rows:
        rate = row.count / row.seconds if row.seconds else float("nan")
        print(f"{row.stage:34} {row.count:7} {row.seconds:8.1f} {rate:8.1f} {row.lost:5} {row.duplicates:5}  "
              f"{row.note}", flush=True)
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)


async def week(bench: Bench) -> None:
    t0 = time.perf_counter()
    tables = write_tables(bench.region, bench.folder)
    await start_emulators(bench)
    bench.config = write_config(bench)
    await run.migrate(bench.pg_url)
    print(f"tables written, emulators seeded in {time.perf_counter() - t0:.1f} s", flush=True)
    await stage_import(bench, *tables)
    await stage_naive(bench)
    supervisor = await run.start_worker(bench.config, "workers.log", "--workers", "2", env=ENV)
    bench.workers.append(supervisor)
    await workers_registered(bench.pg_url, 2)
    for stage in (stage_reminders, stage_confirmations, stage_summaries):
        await stage(bench)
        print(f"done: {bench.rows[-1]}", flush=True)
    assert await supervisor.stop() == 0, supervisor.text()[-2000:]


async def main(args: argparse.Namespace) -> int:
    pg_url = args.pg_url or os.environ.get("SFERUM_TEST_PG_URL", "")
    if not pg_url:
        print("Ошибка: нужен PostgreSQL: укажите --pg-url или SFERUM_TEST_PG_URL", file=sys.stderr)
        return 2

    def scaled(value: int | None, full: int) -> int:
        return value if value is not None else max(1, round(full * args.scale))

    region = Region(schools=scaled(args.schools, 1000), vk=scaled(args.vk_people, 60_000),
                    max=scaled(args.max_people, 3000))
    name = f"bench_region_week_{os.getpid()}"
    with tempfile.TemporaryDirectory(prefix="bench-region-") as tmp:
        bench = Bench(region=region, folder=Path(tmp), pg_url=_database(pg_url, name))
        bench.naive = scaled(args.naive_people, 6000)
        bench.confirm_vk, bench.confirm_max = scaled(args.confirm_vk, 1000), scaled(args.confirm_max, 100)
        bench.summary_schools = scaled(args.summary_schools, 10)
        print(f"region: {region.schools} schools, {region.vk} people in VK, {region.max} in MAX", flush=True)
        try:
            await week(bench)
        finally:
            for worker in bench.workers:
                await worker.kill()
            for proc in bench.procs:
                proc.terminate()
                proc.wait(timeout=30)
                if proc.stdout is not None:
                    proc.stdout.close()
            _database(pg_url, name, drop_only=True)
    print_table(bench)
    bad = [row for row in bench.rows if row.lost or row.duplicates or "WRONG" in row.note or "failed" in row.note]
    return 1 if bad else 0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--pg-url", default="")
    parser.add_argument("--scale", type=float, default=1.0, help="every count below times this (e.g. 0.05)")
    parser.add_argument("--schools", type=int, default=None, help="schools (1,000 at scale 1)")
    parser.add_argument("--vk-people", type=int, default=None, help="teachers in VK (60,000)")
    parser.add_argument("--max-people", type=int, default=None, help="teachers in MAX (3,000)")
    parser.add_argument("--confirm-vk", type=int, default=None, help="VK teachers who confirm a chat (1,000)")
    parser.add_argument("--confirm-max", type=int, default=None, help="MAX teachers who confirm a chat (100)")
    parser.add_argument("--summary-schools", type=int, default=None, help="heads who ask for «сводка» (10)")
    parser.add_argument("--naive-people", type=int, default=None, help="the naive one-worker VK wave (6,000)")
    return parser.parse_args(argv)


if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse_args())))
