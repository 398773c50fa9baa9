"""Compose a digest mail: multipart/alternative (text, HTML), RFC 5322 bytes ready for SMTP or the outbox."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, parseaddr

from watcher.errors import MailError
from watcher.report.digest import Digest
from watcher.report.parts import clean_text
from watcher.report.situations import AttentionRow, SituationReport, Story

_MAX_SUBJECT = 150
_ADDR = re.compile(r'^[^@\s<>(),;:"\[\]\\]+@[^@\s<>(),;:"\[\]\\]+$')


def subject(d: Digest) -> str:
    """The biggest change: ``Daily: 14 items, Peace process: Nikol Pashinyan 9 (up from avg 3), 1 key development``.

    The entry whose count rose most over its baseline leads (an entry that tops every day without rising does not);
    without a rise, the digest's weightiest story does. ``Daily: nothing new`` for an empty digest; the situation's
    name is left out when the digest has none.
    """
    if d.empty:
        text = f"{d.title}: nothing new"
    else:
        items = "1 item" if d.total_items == 1 else f"{d.total_items} items"
        text = f"{d.title}: {items}"
        found = _biggest_change(d)
        if found is not None:
            situation, row = found
            named = "" if situation.situation_id == d.digest_id else f"{situation.title}: "
            text += f", {named}{row.name} {row.items}{_trend(row)}"
            if situation.key_count:
                text += ", 1 key development" if situation.key_count == 1 else f", {situation.key_count} key developments"
        elif (story := _top_story(d)) is not None:
            text += f", top story: {story.title}"
    text = clean_text(text)
    return text if len(text) <= _MAX_SUBJECT else text[:_MAX_SUBJECT - 1].rstrip() + "…"


def _biggest_change(d: Digest) -> tuple[SituationReport, AttentionRow] | None:
    # The largest rise over the baseline; ties: more key developments, more items, then by name.
    rises = [(s, r) for s in d.situations for r in s.attention if r.items and r.change in ("up", "new")]
    return min(rises, key=lambda sr: (sr[1].baseline - sr[1].items, -sr[0].key_count, -sr[1].items,
                                      sr[1].name.casefold(), sr[0].title.casefold()), default=None)


def _top_story(d: Digest) -> Story | None:
    stories = [s.stories[0] for s in d.situations if s.stories]
    return min(stories, key=lambda s: (-s.weight, -s.first_published.timestamp(), s.title.casefold()), default=None)


def _trend(row: AttentionRow) -> str:
    mean = f"{row.baseline:.0f}" if float(row.baseline).is_integer() else f"{row.baseline:.1f}"
    return {"up": f" (up from avg {mean})", "down": f" (down from avg {mean})"}.get(row.change, "")


def compose_message(d: Digest, *, sender: str, recipient: str, text: str, html: str) -> bytes:
    """The digest mail as RFC 5322 bytes; header values are single-line whatever the feeds or config hold."""
    from_ = _address(sender, "sender", hint="check WATCHER_MAIL_FROM")
    to = _address(recipient, "recipient", hint=f"check the `to:` list of digest {d.digest_id!r}")
    msg = EmailMessage(policy=SMTP)
    msg["Subject"] = subject(d)
    msg["From"] = from_
    msg["To"] = to
    msg["Date"] = format_datetime(d.generated_at)
    msg["Message-ID"] = message_id(d, to.addr_spec, from_.domain or "localhost")
    msg["Auto-Submitted"] = "auto-generated"
    msg["X-Watcher-Digest"] = d.digest_id
    msg.set_content(_lines(text), subtype="plain", charset="utf-8", cte=_cte(text))
    msg.add_alternative(_lines(html), subtype="html", charset="utf-8", cte=_cte(html))
    # A boundary derived from the content keeps composition a pure function of its inputs; "=_" never
    # occurs in quoted-printable or base64 bodies, so it cannot collide with them.
    msg.set_boundary("=_watcher_" + hashlib.sha256(f"{text}\0{html}".encode()).hexdigest()[:32])
    return msg.as_bytes()


def message_id(d: Digest, recipient: str, domain: str) -> str:
    """``<daily.20261122T030000Z.1a2b3c4d5e6f@example.org>``: the same for the same digest run and recipient."""
    # Deterministic, so a digest composed twice for one reader (a crash before it was stored) is one message
    # to mail clients that de-duplicate by Message-ID; short, so the header is never folded.
    key = f"{d.digest_id}\n{d.period.start.isoformat()}\n{d.period.end.isoformat()}\n{recipient.lower()}"
    digest = hashlib.sha256(key.encode()).hexdigest()[:12]
    return f"<{d.digest_id[:24]}.{d.period.end:%Y%m%dT%H%M%SZ}.{digest}@{domain}>"


def _address(value: str, what: str, *, hint: str) -> Address:
    # Strict on purpose: an address with a line break or a second address in it is refused, not repaired.
    display, addr = parseaddr(value)
    text = value.strip()
    whole = text == addr or (text.count("<") == 1 and text.endswith(f"<{addr}>"))
    if any(unicodedata.category(c) in {"Cc", "Zl", "Zp"} for c in value) or not whole or not _ADDR.match(addr):
        raise MailError(f"{what} {value!r} is not one mail address", hint=hint)
    username, _, domain = addr.rpartition("@")
    try:
        return Address(display_name=clean_text(display), username=username, domain=domain)
    except (ValueError, IndexError) as e:
        raise MailError(f"{what} {value!r} is not a mail address: {e}", hint=hint) from None


def _lines(body: str) -> str:
    # A body ends in a newline and never carries a bare CR that could confuse a relay.
    body = body.replace("\r\n", "\n").replace("\r", "\n")
    return body if body.endswith("\n") else body + "\n"


def _cte(body: str) -> str:
    # 7-bit-safe transfer encodings only: not every relay speaks 8BITMIME. Armenian and Cyrillic text is
    # shorter in base64; mostly-ASCII text stays readable in quoted-printable.
    non_ascii = sum(1 for c in body if ord(c) > 127)
    return "base64" if non_ascii * 4 > len(body) else "quoted-printable"
