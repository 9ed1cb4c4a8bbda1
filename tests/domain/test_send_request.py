"""A send request kept as a payload (drafts, approvals) and read back."""

from __future__ import annotations

from bot.domain.numbers import parse_number
from bot.domain.send_request import SendRequest
from bot.domain.states import SendKind
from bot.i18n import Msg


def request() -> SendRequest:
    numbers = tuple(parse_number(n) for n in ("+8613910825657", "+447400123456", "+8613910820001"))
    return SendRequest(
        team_id="T1",
        user_id="U1",
        channel_id="C1",
        kind=SendKind.SMS,
        text="Hi {name}",
        numbers=numbers,
        invalid=(("abc", Msg.of("numbers.reason.bad_characters")),),
        texts=("Hi Ann", "Hi Bob", "Hi Cai"),
        from_file="list.csv",
    )


def test_a_payload_reads_back_as_the_same_request_its_regions_shared() -> None:
    first = request()
    again = SendRequest.from_payload(first.to_payload())
    assert again == first
    assert again.numbers[0].region is again.numbers[2].region  # one string for each country


def test_a_payload_stored_with_a_list_per_number_still_reads() -> None:
    """Drafts and approvals stored before the numbers were kept column by column."""
    first = request()
    payload = first.to_payload() | {"numbers": [[n.msisdn, n.region, n.display] for n in first.numbers]}
    assert SendRequest.from_payload(payload) == first
