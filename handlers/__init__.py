"""vkbottle labelers, one per feature; the composition root loads them in this order."""

from __future__ import annotations

from vkbottle.bot import BotLabeler


def labelers() -> list[BotLabeler]:
    """Labelers in dispatch order: identification first, the fallback last."""
    from handlers import chats, fallback, faq, identify, imports, menu

    # --- feature labelers go between menu and fallback ---
    # faq stays LAST: its free-text handler takes any private text the others left.
    features: list[BotLabeler] = [imports.labeler, chats.labeler, faq.labeler]
    return [identify.labeler, menu.labeler, *features, fallback.labeler]
