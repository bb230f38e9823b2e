"""The outbox's pure rules: random_id, splitting, classification, batches, execute answers."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from bot.vk.rules import (
    EXECUTE_MAX_CALLS,
    NETWORK_ERROR,
    Outcome,
    backoff,
    batches,
    call_code,
    chunk_key,
    classify,
    execute_code,
    group_of,
    idem_key,
    parse_execute,
    random_id_for,
    send_params,
    split_text,
)


def test_random_id_is_deterministic_and_distinct() -> None:
    """The same key always gives the same random_id; different keys give different ones."""
    key = idem_key("school1", "reminder", "2026-11-14", 42)
    assert key == "school1:reminder:2026-11-14:42"
    assert random_id_for(key) == random_id_for(key)
    ids = {random_id_for(idem_key("school1", "reminder", "2026-11-14", p)) for p in range(2000)}
    assert len(ids) == 2000


@given(st.text(max_size=200))
def test_random_id_is_positive_31_bit(key: str) -> None:
    """Every random_id is in 1..2^31-1, as messages.send's int32 expects."""
    value = random_id_for(key)
    assert 0 < value <= 0x7FFFFFFF


def test_chunk_keys() -> None:
    """A single chunk keeps its key; chunks of a split message get their own suffix."""
    assert chunk_key("k", 1, 1) == "k"
    assert [chunk_key("k", i, 3) for i in (1, 2, 3)] == ["k#1", "k#2", "k#3"]


def test_short_text_is_not_split() -> None:
    """Text within the limit comes back as one unchanged chunk."""
    assert split_text("Привет\n\nмир", 4096) == ["Привет\n\nмир"]
    assert split_text("") == [""]


def test_split_at_paragraphs() -> None:
    """Long text is cut between paragraphs, never inside one that fits."""
    paras = [f"Абзац {i}. " + "слово " * 60 for i in range(40)]
    text = "\n\n".join(p.strip() for p in paras)
    chunks = split_text(text, 1000)
    assert len(chunks) > 1
    assert all(len(c) <= 1000 for c in chunks)
    for chunk in chunks:
        for part in chunk.split("\n\n"):
            assert part.startswith("Абзац ")
    assert "\n\n".join(chunks) == text


def test_split_falls_back_to_lines_then_words() -> None:
    """A paragraph over the limit is cut at lines, and a line over it at words."""
    lines = "\n".join(f"строка {i} " + "x" * 50 for i in range(100))
    chunks = split_text(lines, 500)
    assert all(len(c) <= 500 for c in chunks)
    assert all(c.startswith("строка ") for c in chunks)
    words = " ".join(["слово"] * 1000)
    chunks = split_text(words, 300)
    assert all(len(c) <= 300 and not c.startswith(" ") for c in chunks)
    assert " ".join(chunks) == words


@given(st.text(alphabet=st.sampled_from("ab \n"), max_size=3000), st.integers(20, 400))
def test_split_never_exceeds_limit(text: str, limit: int) -> None:
    """Whatever the text, every chunk fits and no word characters are lost."""
    chunks = split_text(text, limit)
    assert all(len(c) <= limit for c in chunks)
    assert "".join(chunks).replace(" ", "").replace("\n", "") == text.replace(" ", "").replace("\n", "")


def test_classification() -> None:
    """901/902/943/944 are unreachable, 6/9/10 and network faults retried, others fail."""
    assert classify(None) is Outcome.SENT
    for code in (901, 902, 943, 944):
        assert classify(code) is Outcome.UNREACHABLE
    for code in (6, 9, 10, NETWORK_ERROR):
        assert classify(code) is Outcome.RETRY
    for code in (100, 911, 914, 917, 5):
        assert classify(code) is Outcome.FAILED


def test_backoff_grows_and_is_capped() -> None:
    """Backoff doubles per attempt and stops at the cap."""
    assert [backoff(a, 0.5, 3.0) for a in (1, 2, 3, 4, 5)] == [0.5, 1.0, 2.0, 3.0, 3.0]


def test_batches_respect_calls_and_size() -> None:
    """Batches hold at most 25 calls and stay under the code size, in order."""
    ranges = list(batches([10] * 60))
    assert [len(r) for r in ranges] == [25, 25, 10]
    assert [i for r in ranges for i in r] == list(range(60))
    ranges = list(batches([400, 400, 400, 1200, 10], max_chars=1000))
    assert [list(r) for r in ranges] == [[0, 1], [2], [3], [4]]
    assert list(batches([])) == []


def test_batches_keep_chunks_of_one_message_together() -> None:
    """A long message's chunks move to the next batch rather than straddle two."""
    groups = ["a"] * 20 + ["b"] * 3 + ["c"] * 3 + ["d"]
    ranges = [list(r) for r in batches([1] * len(groups), groups=groups)]
    assert ranges == [list(range(0, 23)), list(range(23, 27))]
    # A group bigger than a batch is split, since it cannot fit anyway.
    ranges = [list(r) for r in batches([1] * 30, groups=["x"] * 30)]
    assert [len(r) for r in ranges] == [25, 5]
    assert group_of("school1:b:1#2") == "school1:b:1" and group_of("k#x") == "k#x"
    assert group_of("plain") == "plain"


def test_execute_code_is_json_literal() -> None:
    """The script returns an array of sends whose arguments are JSON literals."""
    params = send_params(5, 77, 'Привет, "коллега"\n', intent="non_promo_newsletter")
    code = execute_code([call_code("messages.send", params)] * 2)
    assert code.startswith("return [API.messages.send({") and code.endswith("})];")
    literal = code[len("return [API.messages.send("):code.index("),API.")]
    assert json.loads(literal) == {"peer_id": 5, "random_id": 77, "message": 'Привет, "коллега"\n',
                                   "intent": "non_promo_newsletter"}
    assert "intent" not in send_params(5, 1, "x", intent="default")
    assert send_params(2000000001, 1, "x", peer_ids=True)["peer_ids"] == 2000000001


def test_execute_code_refuses_too_many_calls() -> None:
    """More than 25 calls is a programming error, not a request."""
    try:
        execute_code(["API.users.get({})"] * (EXECUTE_MAX_CALLS + 1))
    except ValueError as exc:
        assert "25" in str(exc)
    else:
        raise AssertionError("26 calls accepted")


def test_parse_execute_matches_false_to_errors_in_order() -> None:
    """Each false takes the next execute_errors entry; VK's trailing execute entry is ignored."""
    body = {
        "response": [11, False, [{"peer_id": 2000000001, "message_id": 0, "conversation_message_id": 7}],
                     False, [{"peer_id": 3, "error": {"code": 901, "description": "no"}}]],
        "execute_errors": [
            {"method": "messages.send", "error_code": 902, "error_msg": "privacy"},
            {"method": "messages.send", "error_code": 6, "error_msg": "too many"},
            {"method": "execute", "error_code": 6, "error_msg": "too many"},
        ],
    }
    results = parse_execute(body, 5)
    assert results[0].ok and results[0].message_id == 11
    assert (results[1].ok, results[1].error_code) == (False, 902)
    assert results[2].ok and results[2].cmid == 7
    assert (results[3].ok, results[3].error_code) == (False, 6)
    assert (results[4].ok, results[4].error_code) == (False, 901)


def test_parse_execute_aborted_script_fails_every_call() -> None:
    """A null response (the script aborted) fails all calls with the reported error."""
    body = {"response": None, "execute_errors": [{"method": "execute", "error_code": 13, "error_msg": "x"}]}
    results = parse_execute(body, 3)
    assert [r.error_code for r in results] == [13, 13, 13]
    assert not any(r.ok for r in results)
