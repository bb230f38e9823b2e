"""What an import reports: problems with row numbers, and the per-kind results."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from bot.domain.models import Period


class Problem(BaseModel):
    """One thing the importer could not do; `row` is the row a person sees (0: the whole file)."""

    model_config = ConfigDict(frozen=True)

    row: int
    reason: str

    def line(self) -> str:
        """«строка 14: …» for the human report."""
        return f"строка {self.row}: {self.reason}" if self.row else self.reason


class StatsResult(BaseModel):
    """The result of a statistics import (`--json` prints `as_json()`)."""

    period: Period
    kind: str
    rows_read: int
    rows_imported: int
    problems: list[Problem] = []
    orgs: list[str] = []
    replaced: bool = False
    pending: int = 0
    remembered: int = 0
    import_ids: list[int] = []
    sheet: str = ""
    period_source: str = "default"

    def as_json(self) -> dict[str, object]:
        """Exactly the shape weekly-statistics.md fixes."""
        return {
            "period": {"start": self.period.start.isoformat(), "end": self.period.end.isoformat()},
            "kind": self.kind,
            "rows_read": self.rows_read,
            "rows_imported": self.rows_imported,
            "problems": [{"row": p.row, "reason": p.reason} for p in self.problems],
        }


class RosterResult(BaseModel):
    """The result of a roster import (`--json` prints `as_json()`)."""

    org: str | None
    rows_read: int
    added: int
    updated: int
    left: int
    problems: list[Problem] = []
    orgs: list[str] = []
    import_ids: list[int] = []
    sheet: str = ""

    def as_json(self) -> dict[str, object]:
        """Exactly the shape roster.md fixes."""
        return {
            "org": self.org,
            "rows_read": self.rows_read,
            "added": self.added,
            "updated": self.updated,
            "left": self.left,
            "problems": [{"row": p.row, "reason": p.reason} for p in self.problems],
        }


_MAX_LINES = 20
_PERIOD_SOURCES = {
    "argument": "",
    "file": " (период взят из файла)",
    "default": " (в файле периода нет — взят последний завершившийся)",
}


def _problem_lines(problems: list[Problem], limit: int) -> list[str]:
    lines = [f"• {p.line()}" for p in problems[:limit]]
    if len(problems) > limit:
        lines.append(f"• … и ещё {len(problems) - limit}")
    return lines


def render_stats(result: StatsResult, *, limit: int = _MAX_LINES) -> str:
    """A few lines a deputy can act on: period, kind, rows read and imported, every problem."""
    kind = "статистика по сотрудникам" if result.kind == "person" else "статистика по школам"
    lines = [
        f"Таблица: {kind} за {result.period}{_PERIOD_SOURCES.get(result.period_source, '')}.",
        f"Строк с данными: {result.rows_read}, загружено: {result.rows_imported}.",
    ]
    if result.replaced:
        lines.append("Данные за этот период уже были — они заменены новыми.")
    if result.remembered:
        lines.append(f"Строк сопоставлено по вашим прежним ответам: {result.remembered}.")
    if result.problems:
        lines.append(f"Не получилось ({len(result.problems)}):")
        lines.extend(_problem_lines(result.problems, limit))
    if result.pending:
        lines.append(
            f"Строк отложено: {result.pending} — их можно разобрать кнопками в чате с ботом "
            "(выбрать сотрудника или пропустить). Если сотрудника нет в списке — загрузите список сотрудников."
        )
    return "\n".join(lines)


def render_roster(result: RosterResult, *, limit: int = _MAX_LINES) -> str:
    """The roster import report: added, updated, left, and every problem."""
    lines = [
        "Загружен список сотрудников" + (f" ({result.org})." if result.org else "."),
        f"Строк с данными: {result.rows_read}. Добавлено: {result.added}, обновлено: {result.updated}, "
        f"отмечены как уволившиеся: {result.left}.",
    ]
    if result.problems:
        lines.append(f"Не получилось ({len(result.problems)}):")
        lines.extend(_problem_lines(result.problems, limit))
    return "\n".join(lines)
