"""compose_message: multipart/alternative bytes, single-line headers whatever the feeds or config hold."""

from __future__ import annotations

import email
import email.policy
from dataclasses import replace
from email.message import EmailMessage

import pytest
from test_report_samples import (
    DAILY,
    KEY_ITEMS,
    NOW,
    PERIOD,
    WATCHLIST,
    digest_config,
    match,
    sample_history,
    sample_matches,
    stored,
)

from watcher.errors import MailError
from watcher.report import build_digest, compose_message, render_html, render_text, subject


def compose(d, sender="Watcher <watcher@example.org>", recipient="analyst@example.org"):  # type: ignore[no-untyped-def]
    return compose_message(d, sender=sender, recipient=recipient, text=render_text(d), html=render_html(d))


def parse(raw: bytes) -> EmailMessage:
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    return msg


def test_subject_headline() -> None:
    d = build_digest(DAILY, WATCHLIST, sample_matches(), [], PERIOD, now=NOW)
    assert subject(d) == "South Caucasus daily: 4 items, Peace process: Nikol Pashinyan 4"
    one = build_digest(DAILY, WATCHLIST, [match(stored(1, "t"), "border", "[[border delimitation]]")], [], PERIOD,
                       now=NOW)
    # border delimitation is in no situation: the digest's section for the other entries names it
    assert subject(one) == "South Caucasus daily: 1 item, Other entries: border delimitation 1"
    assert subject(build_digest(DAILY, WATCHLIST, [], [], PERIOD, now=NOW)) == "South Caucasus daily: nothing new"


def test_subject_carries_the_lead_situations_headline_figure() -> None:
    d = build_digest(DAILY, WATCHLIST, sample_matches(), [], PERIOD, now=NOW, history=sample_history(),
                     key_items=KEY_ITEMS)
    assert subject(d) == ("South Caucasus daily: 4 items, Peace process: Nikol Pashinyan 4 (up from avg 1.2), "
                          "1 key development")
    without = build_digest(DAILY, WATCHLIST.model_copy(update={"situations": ()}), sample_matches(), [], PERIOD,
                           now=NOW)
    assert subject(without) == "South Caucasus daily: 4 items, Nikol Pashinyan 4"  # the digest's own situation


def test_message_has_both_parts_and_the_usual_headers() -> None:
    d = build_digest(DAILY, WATCHLIST, sample_matches(), [], PERIOD, now=NOW)
    raw = compose(d)
    assert raw.isascii()  # 7-bit clean: no relay needs 8BITMIME
    assert all(len(line) <= 998 for line in raw.split(b"\r\n"))
    msg = parse(raw)
    assert msg.get_content_type() == "multipart/alternative"
    assert msg["Subject"] == "South Caucasus daily: 4 items, Peace process: Nikol Pashinyan 4"
    assert msg["From"] == "Watcher <watcher@example.org>" and msg["To"] == "analyst@example.org"
    assert msg["Message-ID"].startswith("<") and msg["Message-ID"].endswith("@example.org>")
    assert msg["Date"].datetime == NOW
    plain = msg.get_body(("plain",))
    html = msg.get_body(("html",))
    assert plain is not None and html is not None
    assert plain.get_content().replace("\r\n", "\n") == render_text(d)
    assert html.get_content().replace("\r\n", "\n") == render_html(d)
    assert "*Никол Пашинян*" in plain.get_content()


def test_non_ascii_title_reaches_the_subject_intact() -> None:
    d = build_digest(digest_config(title="Հայաստան — Россия: ежедневно"), WATCHLIST, sample_matches(), [], PERIOD,
                     now=NOW)
    raw = compose(d)
    assert b"=?utf-8?" in raw
    assert parse(raw)["Subject"] == "Հայաստան — Россия: ежедневно: 4 items, Peace process: Nikol Pashinyan 4"


def test_composition_is_a_pure_function_of_its_inputs() -> None:
    d = build_digest(DAILY, WATCHLIST, sample_matches(), [], PERIOD, now=NOW)
    assert compose(d) == compose(d)
    assert compose(d) != compose(d, recipient="other@example.org")


def test_message_id_is_stable_for_one_digest_run() -> None:
    d = build_digest(DAILY, WATCHLIST, sample_matches(), [], PERIOD, now=NOW)
    assert parse(compose(d))["Message-ID"] == parse(compose(d))["Message-ID"]
    assert parse(compose(d))["Message-ID"] != parse(compose(d, recipient="b@example.org"))["Message-ID"]
    assert parse(compose(d))["Message-ID"] != parse(compose(replace(d, digest_id="weekly")))["Message-ID"]


@pytest.mark.parametrize("evil", ["Daily\r\nBcc: x@evil.example", "Daily\nBcc: x@evil.example",
                                  "Daily\rBcc: x@evil.example", "Daily\u2028Bcc: x@evil.example",
                                  "Daily\x00\x0bBcc: x@evil.example"])
def test_no_header_injection_from_titles_or_entry_names(evil: str) -> None:
    d = build_digest(digest_config(title=evil), WATCHLIST, sample_matches(), [], PERIOD, now=NOW)
    # A Digest made by hand skips build_digest's cleaning: the subject must still be one line.
    section = replace(d.sections[0], name=evil)
    d = replace(d, title=evil, sections=(section, *d.sections[1:]))
    raw = compose(d)
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert b"\nBcc:" not in head and b"\rBcc:" not in head
    msg = parse(raw)
    assert msg.get_all("Subject") is not None and len(msg.get_all("Subject")) == 1
    assert msg["Bcc"] is None and msg.get_all("To") == ["analyst@example.org"]
    assert "\n" not in msg["Subject"] and "\r" not in msg["Subject"]
    assert msg["Subject"].startswith("Daily") and "Bcc: x@evil.example" in msg["Subject"]
    assert (b"\r\n" + head).count(b"\r\nSubject:") == 1


@pytest.mark.parametrize("recipient", ["analyst@example.org\r\nBcc: x@evil.example", "analyst@example.org Bcc: x@e.org",
                                       "a@example.org, b@example.org", "A <a@example.org> <b@example.org>", "a@b@c"])
def test_recipient_that_is_not_one_address_is_refused(recipient: str) -> None:
    d = build_digest(DAILY, WATCHLIST, [], [], PERIOD, now=NOW)
    with pytest.raises(MailError, match="`to:` list of digest 'daily'"):
        compose(d, recipient=recipient)


@pytest.mark.parametrize(("sender", "header"), [
    ("watcher@example.org", "watcher@example.org"), ("Watcher <w@example.org>", "Watcher <w@example.org>"),
    ("Наблюдатель <w@example.org>", "Наблюдатель <w@example.org>"), ('"Watcher, Ltd" <w@example.org>', '"Watcher, Ltd" <w@example.org>'),
])
def test_sender_forms(sender: str, header: str) -> None:
    d = build_digest(DAILY, WATCHLIST, [], [], PERIOD, now=NOW)
    assert parse(compose(d, sender=sender))["From"] == header


@pytest.mark.parametrize("sender", ["", "not an address", "<>", "w@example.org\nBcc: x@e.org"])
def test_bad_sender_is_a_mail_error_naming_the_setting(sender: str) -> None:
    d = build_digest(DAILY, WATCHLIST, [], [], PERIOD, now=NOW)
    with pytest.raises(MailError, match="WATCHER_MAIL_FROM"):
        compose(d, sender=sender)


def test_long_subject_is_shortened() -> None:
    d = build_digest(digest_config(title="x" * 300), WATCHLIST, sample_matches(), [], PERIOD, now=NOW)
    assert len(subject(d)) == 150 and subject(d).endswith("…")
