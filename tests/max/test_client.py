"""The thin MAX client: raw token header, the Минцифры CA, failures typed by HTTP status, the rate budget."""

from __future__ import annotations

import pytest

from bot.max.budget import MaxBudget
from bot.max.client import DEFAULT_API_URL, MaxApiError, MaxClient, failure, ssl_context
from bot.ports import NotAdmin, PersonUnreachable, RateLimited, RetryLater
from max_emulator import MaxEmulator
from max_emulator.client import MaxEmulatorControl
from tests.max.conftest import TOKEN


def test_default_host_and_ca() -> None:
    """platform-api2 by default; the context trusts the Минцифры roots besides the system's, and verifies."""
    import ssl

    assert MaxClient("x").api_url == DEFAULT_API_URL == "https://platform-api2.max.ru"
    context = ssl_context()
    subjects = {dict(item[0] for item in cert["subject"]).get("commonName") for cert in context.get_ca_certs()}
    assert {"Russian Trusted Root CA", "Russian Trusted Sub CA"} <= subjects
    assert context.verify_mode is ssl.CERT_REQUIRED and context.check_hostname


@pytest.mark.parametrize(
    ("status", "code", "forbidden", "kind"),
    [(429, "", PersonUnreachable, RateLimited), (429, "chat.denied", NotAdmin, RateLimited),
     (403, "chat.denied", PersonUnreachable, PersonUnreachable), (403, "chat.denied", NotAdmin, NotAdmin),
     (503, "", PersonUnreachable, RetryLater), (400, "text.too.long", PersonUnreachable, MaxApiError)],
)
def test_failures_are_keyed_on_the_status(status: int, code: str, forbidden: type, kind: type) -> None:
    """429 is «rate limited» whatever the body says; 403 is the caller's kind (unreachable person or not admin)."""
    found = failure(status, code, "x", forbidden=forbidden)
    assert type(found) is kind
    if kind is PersonUnreachable:
        assert found.message == "человек не запускал бота или остановил его"


async def test_raw_token_header_and_429(max_emu: MaxEmulator, max_ctl: MaxEmulatorControl) -> None:
    """The raw token authorises (a wrong one is refused); an emulated 429 raises RateLimited."""
    client = MaxClient(TOKEN, max_emu.base_url)
    wrong = MaxClient("Bearer " + TOKEN, max_emu.base_url)
    try:
        assert (await client.call("GET", "/me"))["user_id"] == max_emu.bot_id
        with pytest.raises(MaxApiError) as refused:
            await wrong.call("GET", "/me")
        assert refused.value.status == 401
        await max_ctl.faults(http_429_rate=1.0)
        with pytest.raises(RateLimited):
            await client.call("GET", "/me")
    finally:
        await client.close()
        await wrong.close()


async def test_budget_spaces_sends_to_one_chat() -> None:
    """Sends into one chat are granted half a second apart (2/s, a burst of 1); another chat is not held."""
    now = [0.0]

    async def sleep(seconds: float) -> None:
        now[0] += seconds

    budget = MaxBudget(clock=lambda: now[0], sleep=sleep)
    granted = []
    for chat in (1, 1, 1, 2):
        async with budget.slot(chat):
            granted.append((chat, now[0]))
    assert [t for c, t in granted if c == 1] == [0.0, 0.5, 1.0]
    assert granted[-1] == (2, 1.0)
