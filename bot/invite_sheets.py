"""The deputy's list of personal MAX links: an xlsx table and a printable PDF, each with QR codes."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

import segno
from pydantic import BaseModel, ConfigDict

TITLE = "Персональные ссылки в MAX"
HOWTO = ("Откройте ссылку на телефоне (или наведите камеру на QR-код) и нажмите «Начать»: "
         "бот узнает вас сразу. Ссылка работает один раз и действует до {until}.")


class InviteRow(BaseModel):
    """One person's line: name, role, classes, the link and until when it works."""

    model_config = ConfigDict(frozen=True)

    name: str
    role: str
    classes: str
    link: str
    until: str


def qr_png(text: str, scale: int = 4) -> bytes:
    """A PNG QR code of `text`."""
    buffer = io.BytesIO()
    segno.make(text, error="m").save(buffer, kind="png", scale=scale, border=2)
    return buffer.getvalue()


def links_xlsx(rows: Sequence[InviteRow], school: str) -> bytes:
    """A table: ФИО, должность, классы, ссылка, действует до, QR-код (an image in the row)."""
    from openpyxl import Workbook
    from openpyxl.drawing.image import Image
    from openpyxl.styles import Alignment, Font

    wb = Workbook()
    ws: Any = wb.active
    ws.title = "Ссылки MAX"
    ws.append([f"{TITLE}: {school}"])
    ws["A1"].font = Font(bold=True, size=12)
    ws.append(["ФИО", "Должность", "Классы", "Ссылка", "Действует до", "QR-код"])
    for cell in ws[2]:
        cell.font = Font(bold=True)
    for width, letter in zip((34, 16, 12, 60, 14, 18), "ABCDEF", strict=True):
        ws.column_dimensions[letter].width = width
    for n, row in enumerate(rows, start=3):
        ws.append([row.name, row.role, row.classes, row.link, row.until])
        ws.cell(row=n, column=4).hyperlink = row.link
        for column in range(1, 6):
            ws.cell(row=n, column=column).alignment = Alignment(vertical="center", wrap_text=column == 4)
        image = Image(io.BytesIO(qr_png(row.link, scale=3)))
        image.width = image.height = 110
        ws.add_image(image, f"F{n}")
        ws.row_dimensions[n].height = 86
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def links_pdf(rows: Sequence[InviteRow], school: str) -> bytes:
    """A4 pages, six cards each (name, role, QR code, link), to print and cut."""
    from matplotlib.backends.backend_pdf import PdfPages
    from matplotlib.figure import Figure
    from PIL import Image

    buffer = io.BytesIO()
    per_page = 6
    with PdfPages(buffer) as pdf:
        for start in range(0, max(len(rows), 1), per_page):
            figure = Figure(figsize=(8.27, 11.69))
            figure.text(0.5, 0.975, f"{TITLE}: {school}", ha="center", va="top", fontsize=12, weight="bold")
            for index, row in enumerate(rows[start:start + per_page]):
                column, line = index % 2, index // 2
                left, bottom = 0.04 + column * 0.48, 0.66 - line * 0.31
                qr = figure.add_axes((left, bottom + 0.02, 0.2, 0.2 * 8.27 / 11.69 * 1.0))
                qr.imshow(Image.open(io.BytesIO(qr_png(row.link, scale=6))), cmap="gray")
                qr.set_axis_off()
                text_left = left + 0.21
                figure.text(text_left, bottom + 0.2, row.name, fontsize=10, weight="bold", va="top", wrap=True)
                figure.text(text_left, bottom + 0.15, row.role + (f", {row.classes}" if row.classes else ""),
                            fontsize=8, va="top")
                figure.text(text_left, bottom + 0.11, f"до {row.until}", fontsize=8, va="top")
                figure.text(left, bottom, row.link, fontsize=6.5, va="top", family="monospace")
            figure.text(0.5, 0.02, HOWTO.format(until=rows[0].until if rows else "—"), ha="center", fontsize=7,
                        wrap=True)
            pdf.savefig(figure)
    return buffer.getvalue()
