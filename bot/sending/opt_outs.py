"""Numbers that opted out are left out of every send: shown in the confirmation, told to the
sender, never given to the platform."""

from __future__ import annotations

from dataclasses import replace

from bot.domain.send_request import SendRequest
from bot.services import Services
from bot.store.inbound import opted_out


async def without_opted_out(services: Services, request: SendRequest) -> SendRequest:
    """The request without the numbers on the opt-out list (they move to `opted_out`)."""
    account = services.account_of(request.team_id)
    skipped = await opted_out(services.db, account, (n.msisdn for n in request.numbers))
    if not skipped:
        return request
    keep = [i for i, n in enumerate(request.numbers) if n.msisdn not in skipped]
    return replace(
        request,
        numbers=tuple(request.numbers[i] for i in keep),
        texts=tuple(request.texts[i] for i in keep) if request.texts is not None else None,
        opted_out=(*request.opted_out, *sorted(skipped)),
    )
