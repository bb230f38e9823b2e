"""Why the bot cannot write to someone, in words people read (the codes are VK's; MAX adds its own)."""

from __future__ import annotations

from typing import NamedTuple

#: VK 901: the person has not allowed messages from the community.
NOT_ALLOWED_901 = "не разрешил(а) сообщения от сообщества"
#: VK 902: the person's privacy settings forbid messages.
PRIVACY_902 = "сообщения запрещены настройками приватности"


class Refusal(NamedTuple):
    """One VK refusal in the words of each place that shows it."""

    listed: str  # the «Кто не подписан» list (reachability)
    reported: str  # the deputy's report of a reminder round


#: Every VK error code that means «the bot may not write to this person», in one table.
VK_REFUSALS: dict[int, Refusal] = {
    901: Refusal(NOT_ALLOWED_901, NOT_ALLOWED_901),
    902: Refusal(PRIVACY_902, PRIVACY_902),
    943: Refusal("ограничение ВКонтакте на рассылки вне 24 часов",
                 "ВКонтакте не дал написать: давно не писал(а) сообществу"),
    944: Refusal("ограничение ВКонтакте на рассылки вне 24 часов", "ВКонтакте не дал написать: исчерпан лимит сообщений"),
}
