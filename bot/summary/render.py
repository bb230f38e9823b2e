"""The summary as one scannable Russian message (fits VK's 4096 and MAX's 4000 characters)."""

from __future__ import annotations

from bot.domain.indicators import INDICATOR_IDS, TOTALS, Indicator, label, short_label
from bot.domain.models import Period
from bot.domain.region import SHOWN, RegionSchool
from bot.domain.russian import count
from bot.summary.model import DistrictSummary, RegionSummary, SchoolSummary

STATUS_WORD = {"active": "Активен", "inactive": "Не активен", "unknown": "неизвестно"}
NO_DATA = "нет данных"
# The ranking lists the schools that need attention first; the rest are counted.
RANK_SHOWN = 5
# The smaller of the two messengers' limits (MAX 4,000, VK 4,096 characters).
MESSAGE_LIMIT = 4000
_NAME_SHOWN = 70


def percent(value: float | None) -> str:
    """0.6 → «60 %»; None → «—»."""
    return "—" if value is None else f"{round(value * 100)} %"


def signed(change: int | None) -> str:
    """+2, −1, ±0 (the typographic minus reads better on a phone)."""
    if change is None:
        return ""
    if change == 0:
        return "±0"
    return f"+{change}" if change > 0 else f"−{-change}"


def short_name(full_name: str) -> str:
    """«Иванова А. П.» from «Иванова Анна Петровна»."""
    parts = full_name.split()
    if len(parts) < 2:
        return full_name
    return parts[0] + " " + " ".join(p[0] + "." for p in parts[1:3] if p)


def _indicator_line(item: Indicator, summary: SchoolSummary) -> str:
    name = label(item.id, summary.thresholds)
    if item.count is None:
        return f"• {name}: {NO_DATA}"
    text = f"• {name}: {item.count}"
    if item.id not in TOTALS and item.share is not None:
        text += f" — {percent(item.share)}"
    if item.change is not None:
        text += f" ({signed(item.change)})"
    return text


def _registration(summary: SchoolSummary) -> str:
    reg = summary.registration
    if reg.count is None:
        line = f"Регистрация в Сферуме: {NO_DATA}"
    elif reg.total:
        share = min(1.0, reg.count / reg.total)
        line = f"Регистрация в Сферуме: {reg.count} из {reg.total} ({percent(share)})"
    else:
        line = f"Регистрация в Сферуме: {reg.count}"
    if reg.deadline is None:
        return line + ", срок не задан"
    line += f", срок {reg.deadline:%d.%m.%Y}"
    if reg.days_left is None or (reg.total and reg.count is not None and reg.count >= reg.total):
        return line
    if reg.days_left > 0:
        return line + f" — осталось {count(reg.days_left, 'день')}"
    if reg.days_left == 0:
        return line + " — сегодня"
    return line + f" — срок прошёл {count(-reg.days_left, 'день')} назад"


def _extras(summary: SchoolSummary) -> list[str]:
    lines: list[str] = []
    if summary.migration is None:
        lines.append(f"Перенос чатов: {NO_DATA}")
    else:
        lines.append(f"Перенос чатов: подтверждено {summary.migration.confirmed} из {summary.migration.expected}")
    lines.append(f"Напоминаний отправлено: {NO_DATA if summary.reminders_sent is None else summary.reminders_sent}")
    if summary.unreachable is None:
        lines.append(f"Не могу написать: {NO_DATA}")
    else:
        lines.append(f"Не могу написать: {summary.unreachable} чел.")
    return lines


def _period_line(period: Period, previous: Period | None, has_data: bool) -> str:
    line = f"Неделя {period}"
    if not has_data:
        return line + f": {NO_DATA} — загрузите статистику за неделю"
    if previous is not None:
        line += f"; в скобках — изменение к {previous.start:%d.%m}–{previous.end:%d.%m}"
    return line


def render_school(summary: SchoolSummary, *, names: bool, heading: str = "Сводка") -> str:
    """The head's message: period, profile, registration, indicators, other features, whom to talk to."""
    profile = summary.profile
    parts = [
        f"{heading}: {summary.name}\n{_period_line(summary.period, summary.previous, summary.has_data)}",
        f"Профиль школы: {STATUS_WORD[profile.status]} ({profile.reason})\n{_registration(summary)}",
        "Показатели:\n" + "\n".join(_indicator_line(summary.indicator(i), summary) for i in INDICATOR_IDS),
        "\n".join(_extras(summary)),
    ]
    if names and summary.weakest:
        lines = ["С кем поговорить:"]
        for weak in summary.weakest:
            who = ", ".join(short_name(n) for n in weak.names)
            if weak.more:
                who += f" и ещё {weak.more}"
            lines.append(f"• {short_label(weak.id, summary.thresholds)} ({percent(weak.share)}): {who}")
        parts.append("\n".join(lines))
    return "\n\n".join(parts)


def render_district(district: DistrictSummary) -> str:
    """The district official's message: the total, the profiles, and the ranking per indicator."""
    total = district.total
    counts = district.status_counts
    parts = [
        f"Сводка по району: {district.name}, школ: {len(district.schools)}\n"
        f"{_period_line(total.period, total.previous, total.has_data)}",
        f"Профили школ: активны {counts['active']}, не активны {counts['inactive']}, "
        f"неизвестно {counts['unknown']}\n{_registration(total)}",
        "Показатели по району:\n" + "\n".join(_indicator_line(total.indicator(i), total) for i in INDICATOR_IDS),
        "\n".join(_extras(total)),
    ]
    ranking = ["Отстающие школы (сначала неактивные профили):"]
    for key, places in district.ranking.items():
        shown = [p for p in places if p.share is not None or p.status == "inactive"][:RANK_SHOWN]
        if not shown:
            continue
        items = ", ".join(f"{p.name} {percent(p.share)}" + (" (не активен)" if p.status == "inactive" else "")
                          for p in shown)
        ranking.append(f"• {short_label(key, total.thresholds)}: {items}")
    if len(ranking) > 1:
        parts.append("\n".join(ranking))
    return "\n\n".join(parts)


def _region_line(school: RegionSchool, *, district: bool) -> str:
    name = school.name if len(school.name) <= _NAME_SHOWN else school.name[:_NAME_SHOWN - 1] + "…"
    line = f"• {name}"
    if district and school.district:
        line += f" ({school.district})"
    line += f" — {percent(school.share)}"
    change = school.change_points
    if change is not None and round(change):
        line += f" ({signed(round(change))} п. п.)"
    if school.status == "inactive":
        line += ", не активен"
    return line


def render_region(region: RegionSummary) -> str:
    """The region's or a district's ranking: who slipped, the bottom and the top ten (≤ 4,000 characters)."""
    where = f"по району: {region.name}" if region.district is not None else f"по региону: {region.name}"
    counts = region.status_counts
    total = len(region.schools)
    head = [f"Сводка {where}, {count(total, 'школа')}\nНеделя {region.period}",
            f"Профили школ: активны {counts['active']}, не активны {counts['inactive']}, "
            f"неизвестно {counts['unknown']}",
            "Рейтинг — по доле учителей, написавших в групповых чатах не меньше 3 сообщений; "
            "сначала неактивные профили"]
    # In a district's view every school is of that district: no need to repeat it on each line.
    each = region.district is None
    bottom = region.schools[:SHOWN]
    shown = {s.org_id for s in bottom}
    top = [s for s in reversed(region.schools)
           if s.org_id not in shown and s.share is not None and s.status != "inactive"][:SHOWN]
    tail = ["Внизу рейтинга (сначала худшие):\n" + "\n".join(_region_line(s, district=each) for s in bottom)] if bottom else []
    if top:
        tail.append("Вверху рейтинга (сначала лучшие):\n" + "\n".join(_region_line(s, district=each) for s in top))
    tail.append("Все школы — в таблице." if total else "Школ в настройках нет.")
    slipped = region.slipped
    for limit in (SHOWN, 5, 0):
        if slipped:
            lines = [f"Просели за неделю: {count(len(slipped), 'школа')} (доля упала на 10 п. п. и больше "
                     "или профиль стал «Не активен»)"]
            lines += [_region_line(s, district=each) for s in slipped[:limit]]
            if len(slipped) > limit:
                lines.append(f"и ещё {count(len(slipped) - limit, 'школа')} — в таблице")
            middle = ["\n".join(lines)]
        else:
            middle = ["За неделю ни одна школа не просела."]
        text = "\n\n".join([*head, *middle, *tail])
        if len(text) <= MESSAGE_LIMIT:
            return text
    return text[:MESSAGE_LIMIT - 1] + "…"
