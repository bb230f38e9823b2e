"""RateLimitedAPI on a scripted HTTP client: retries, random_id for sends, make_api."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from vkbottle.exception_factory import VKAPIError
from vkbottle.http import ABCHTTPClient

from bot.config import parse_settings
from bot.ratelimit import RateLimiter
from bot.vk.api import NetworkError, RateLimitedAPI, make_api


class ScriptedHTTP(ABCHTTPClient):
    """Answers each request with the next scripted item (an exception is raised)."""

    def __init__(self, *answers: Any) -> None:
        self.answers = list(answers)
        self.calls: list[tuple[str, dict[str, Any]]] = []

    async def request_text(self, url: str, method: str = "GET", data: dict[str, Any] | None = None,
                           **kwargs: Any) -> str:
        self.calls.append((url, dict(data or {})))
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, BaseException):
            raise answer
        return answer if isinstance(answer, str) else json.dumps(answer)

    async def request_raw(self, url: str, method: str = "GET", data: dict[str, Any] | None = None,
                          **kwargs: Any) -> Any:
        raise NotImplementedError

    async def request_json(self, url: str, method: str = "GET", data: dict[str, Any] | None = None,
                           **kwargs: Any) -> dict[str, Any]:
        raise NotImplementedError

    async def request_content(self, url: str, method: str = "GET", data: dict[str, Any] | None = None,
                              **kwargs: Any) -> bytes:
        raise NotImplementedError

    async def close(self) -> None:
        return None


def _api(http: ScriptedHTTP, delays: list[float]) -> RateLimitedAPI:
    async def sleep(seconds: float) -> None:
        delays.append(seconds)

    api = RateLimitedAPI("tok", limiter=RateLimiter(1000), http_client=http, max_attempts=3,
                         sleep=sleep)
    api.API_URL = "http://127.0.0.1:1/method/"
    return api


def _error(code: int) -> dict[str, Any]:
    return {"error": {"error_code": code, "error_msg": f"error {code}", "request_params": []}}


async def test_send_without_random_id_gets_one_kept_across_retries() -> None:
    """random_id=0 becomes a fixed random value, so a retried send is deduplicated by VK."""
    http = ScriptedHTTP(aiohttp.ServerDisconnectedError(), "Internal Server Error", {"response": 5})
    delays: list[float] = []
    body = await _api(http, delays).request("messages.send", {"peer_id": 1, "random_id": 0,
                                                              "message": "x"})
    assert body == {"response": 5}
    ids = {int(data["random_id"]) for _, data in http.calls}
    assert len(http.calls) == 3 and len(ids) == 1 and ids != {0}
    assert len(delays) == 2 and delays[0] < delays[1]


async def test_retries_are_bounded() -> None:
    """A network that never answers raises NetworkError after max_attempts requests."""
    http = ScriptedHTTP(TimeoutError())
    with pytest.raises(NetworkError):
        await _api(http, []).request("users.get", {})
    assert len(http.calls) == 3


async def test_rate_errors_retried_and_pause_the_limiter() -> None:
    """Error 6 is retried after a pause of the whole limiter; 9 and 10 are retried too."""
    http = ScriptedHTTP(_error(6), _error(9), {"response": [1]})
    api = _api(http, [])
    assert await api.request("users.get", {}) == {"response": [1]}
    assert len(http.calls) == 3 and api.retries == 2
    assert api.limiter._not_before > 0


async def test_other_errors_are_not_retried() -> None:
    """Error 100 (or 901) is raised at once as VKAPIError with its code."""
    http = ScriptedHTTP(_error(901))
    with pytest.raises(VKAPIError) as caught:
        await _api(http, []).request("messages.send", {"peer_id": 1, "random_id": 9, "message": "x"})
    assert caught.value.code == 901 and len(http.calls) == 1


async def test_network_error_is_a_connection_error() -> None:
    """Code that retries aiohttp connection errors (vkbottle's polling) also catches ours."""
    assert issubclass(NetworkError, aiohttp.ClientConnectionError)


async def test_token_travels_in_the_body_not_the_url() -> None:
    """The token is a form field; the URL carries only the method name."""
    http = ScriptedHTTP({"response": 1})
    await _api(http, []).request("users.get", {"user_ids": "1"})
    url, form = http.calls[0]
    assert url == "http://127.0.0.1:1/method/users.get"
    assert form["access_token"] == "tok" and form["v"] == "5.199" and form["user_ids"] == "1"


def test_make_api_points_at_the_configured_url(tmp_path: Path) -> None:
    """make_api takes the URL (config or override), version and rps from settings."""
    settings = parse_settings({"vk": {"api_url": "http://127.0.0.1:9/method", "token": "t", "rps": 7}},
                              tmp_path)
    api = make_api(settings)
    assert api.API_URL == "http://127.0.0.1:9/method/" and api.API_VERSION == "5.199"
    assert api.limiter.rps == 7
    assert make_api(settings, "http://127.0.0.1:8/method/").API_URL == "http://127.0.0.1:8/method/"
