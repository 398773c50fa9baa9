"""Mailers against a real SMTP server on loopback (aiosmtpd) and a real outbox folder."""

from __future__ import annotations

import email
import email.policy
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from test_report_samples import DAILY, NOW, PERIOD, WATCHLIST, sample_matches, sample_sources

from watcher.errors import MailError, MailRefused
from watcher.mail import Mailer, OutboxMailer, SmtpMailer, make_mailer, outbox_file_stem, parse_smtp_url
from watcher.report import build_digest, compose_message, render_html, render_text

if TYPE_CHECKING:
    from smtp_server import SmtpServer

# The fixtures (smtp_server, smtp_auth_server, ...) live in tests/smtp_server.py for other suites to use too.
pytest_plugins = ["smtp_server"]

Servers = Callable[..., Any]  # the smtp_servers and smtp_tarpit fixtures
SENDER = "watcher@example.org"
NAME = "daily-20261122T0700-analyst@example.org"


WATCHLIST_YAML = """
sources:
  - {name: Wire, url: "http://127.0.0.1:9/wire.xml"}
actors:
  - {id: aliyev, name: Ilham Aliyev, kind: person}
digests:
  - {id: daily, title: Daily, schedule: "0 7 * * *", to: [analyst@example.org]}
"""


def digest_bytes(recipient: str = "analyst@example.org") -> bytes:
    d = build_digest(DAILY, WATCHLIST, sample_matches(), sample_sources(), PERIOD, now=NOW)
    return compose_message(d, sender=f"Watcher <{SENDER}>", recipient=recipient, text=render_text(d),
                           html=render_html(d))


def test_smtp_delivers_a_digest_that_parses_back(smtp_server: SmtpServer) -> None:
    SmtpMailer(smtp_server.url).send(digest_bytes(), sender=SENDER, recipients=["analyst@example.org"], name=NAME)
    (got,) = smtp_server.messages
    assert got.mail_from == SENDER and got.rcpt_tos == ("analyst@example.org",)
    msg = got.message
    assert msg["Subject"] == "South Caucasus daily: 4 items, Peace process: Nikol Pashinyan 4"
    plain, html = msg.get_body(("plain",)), msg.get_body(("html",))
    assert plain is not None and html is not None
    # The Armenian item is grouped into the Armenpress/Azatutyun story; Cyrillic shows UTF-8 survives.
    assert "*Никол Пашинян*" in plain.get_content() and "Armenpress, Azatutyun" in plain.get_content()
    assert "Никол Пашинян</mark>" in html.get_content()


def test_smtp_with_auth(smtp_auth_server: SmtpServer) -> None:
    assert "%40" in smtp_auth_server.url  # the password's '@' travels URL-encoded
    SmtpMailer(smtp_auth_server.url).send(digest_bytes(), sender=SENDER, recipients=["a@example.org"], name=NAME)
    assert len(smtp_auth_server.messages) == 1 and smtp_auth_server.logins == ["watcher"]


def test_smtp_auth_failure_names_the_setting_and_hides_the_password(smtp_auth_server: SmtpServer) -> None:
    mailer = SmtpMailer(smtp_auth_server.url_with(smtp_auth_server.username or "", "wrong password"))
    with pytest.raises(MailError, match="WATCHER_SMTP_URL") as e:
        mailer.send(digest_bytes(), sender=SENDER, recipients=["a@example.org"], name=NAME)
    assert "535" in str(e.value) and "wrong password" not in str(e.value) and "password" in (e.value.hint or "")
    assert smtp_auth_server.messages == []
    assert "wrong" not in repr(mailer) and str(smtp_auth_server.password) not in repr(SmtpMailer(smtp_auth_server.url))


def test_smtp_without_credentials_where_auth_is_required(smtp_auth_server: SmtpServer) -> None:
    url = f"smtp://{smtp_auth_server.host}:{smtp_auth_server.port}"
    with pytest.raises(MailError, match="WATCHER_SMTP_URL"):
        SmtpMailer(url).send(digest_bytes(), sender=SENDER, recipients=["a@example.org"], name=NAME)
    assert smtp_auth_server.messages == []


def test_smtp_recipient_refused(smtp_refusing_server: SmtpServer) -> None:
    with pytest.raises(MailError, match="refused every recipient: refused@example.org: 550") as e:
        SmtpMailer(smtp_refusing_server.url).send(digest_bytes(), sender=SENDER, recipients=["refused@example.org"],
                                                  name=NAME)
    assert "WATCHER_SMTP_URL" in str(e.value) and smtp_refusing_server.messages == []


def test_smtp_some_recipients_refused_is_an_error_naming_them(smtp_refusing_server: SmtpServer) -> None:
    with pytest.raises(MailError, match="refused some recipients: refused-2@example.org: 550"):
        SmtpMailer(smtp_refusing_server.url).send(
            digest_bytes(), sender=SENDER, recipients=["ok@example.org", "refused-2@example.org"], name=NAME)
    (got,) = smtp_refusing_server.messages
    assert got.rcpt_tos == ("ok@example.org",)


def test_smtp_connection_refused(closed_smtp_url: str) -> None:
    with pytest.raises(MailError, match="refused the connection") as e:
        SmtpMailer(closed_smtp_url).send(digest_bytes(), sender=SENDER, recipients=["a@example.org"], name=NAME)
    assert "WATCHER_SMTP_URL" in str(e.value)


def test_smtps_to_a_plain_server_fails_cleanly(smtp_server: SmtpServer) -> None:
    url = f"smtps://{smtp_server.host}:{smtp_server.port}?timeout=5"
    with pytest.raises(MailError, match="WATCHER_SMTP_URL"):
        SmtpMailer(url).send(digest_bytes(), sender=SENDER, recipients=["a@example.org"], name=NAME)


def test_starttls_on_a_server_without_it_fails_cleanly(smtp_server: SmtpServer) -> None:
    with pytest.raises(MailError, match="does not support.*STARTTLS") as e:
        SmtpMailer(f"{smtp_server.url}?starttls=1").send(digest_bytes(), sender=SENDER, recipients=["a@example.org"],
                                                         name=NAME)
    assert "WATCHER_SMTP_URL" in str(e.value) and smtp_server.messages == []


@pytest.mark.parametrize(("url", "expected"), [
    ("smtp://mail.example.org", ("mail.example.org", 25, False, False, 30.0, None, None)),
    ("smtp://u%40x:p%3Aw%40d@mail.example.org:587?starttls=1&timeout=10",
     ("mail.example.org", 587, False, True, 10.0, "u@x", "p:w@d")),
    ("smtps://u:p@mail.example.org", ("mail.example.org", 465, True, False, 30.0, "u", "p")),
    ("smtps://mail.example.org:2465?starttls=1", ("mail.example.org", 2465, True, False, 30.0, None, None)),
    ("smtp://[::1]:2525?starttls=true", ("::1", 2525, False, True, 30.0, None, None)),
])
def test_parse_smtp_url(url: str, expected: tuple[object, ...]) -> None:
    t = parse_smtp_url(url)
    assert (t.host, t.port, t.implicit_tls, t.starttls, t.timeout, t.username, t.password) == expected
    assert t.password is None or f":{t.password}@" not in repr(t)


@pytest.mark.parametrize("url", ["http://mail.example.org", "smtp://", "smtp://h:notaport", "smtp://h?starttls=maybe",
                                 "smtp://h?timeout=x", "smtp://h?tls=1"])
def test_parse_smtp_url_rejects(url: str) -> None:
    with pytest.raises(MailError):
        parse_smtp_url(url)


def read_eml(path: Path) -> email.message.EmailMessage:
    msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert isinstance(msg, email.message.EmailMessage)
    return msg


def test_outbox_writes_a_parseable_eml_creating_the_folder(tmp_path: Path) -> None:
    outbox = tmp_path / "out" / "box"
    OutboxMailer(outbox).send(digest_bytes(), sender=SENDER, recipients=["analyst@example.org"], name=NAME)
    assert [p.name for p in outbox.iterdir()] == [f"{NAME}.eml"]
    msg = read_eml(outbox / f"{NAME}.eml")
    assert msg["To"] == "analyst@example.org" and msg.get_body(("html",)) is not None


def test_outbox_resend_replaces_the_same_file_atomically(tmp_path: Path) -> None:
    mailer = OutboxMailer(tmp_path)
    mailer.send(b"Subject: first\r\n\r\nold\r\n", sender=SENDER, recipients=["a@example.org"], name=NAME)
    path = mailer.path_for(NAME)
    with path.open("rb") as reader:  # someone reading the old message while it is replaced
        mailer.send(digest_bytes(), sender=SENDER, recipients=["a@example.org"], name=NAME)
        assert reader.read() == b"Subject: first\r\n\r\nold\r\n"  # a rename, not a rewrite in place
    assert os.listdir(tmp_path) == [f"{NAME}.eml"]  # one file per delivery, no temp files left
    assert path.read_bytes() == digest_bytes()


def test_outbox_names_are_safe_and_distinct(tmp_path: Path) -> None:
    names = ["../../etc/passwd", "a/b", "a_b", ".hidden", "daily 2026:11", "x" * 300]
    mailer = OutboxMailer(tmp_path)
    for name in names:
        mailer.send(b"Subject: x\r\n\r\nx\r\n", sender=SENDER, recipients=["a@example.org"], name=name)
    files = sorted(p.name for p in tmp_path.iterdir())
    assert len(files) == len(names) and all(not f.startswith(".") and len(f) < 200 for f in files)
    assert outbox_file_stem(NAME) == NAME and outbox_file_stem("a/b") != outbox_file_stem("a_b")


def test_outbox_that_cannot_be_written_is_a_mail_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(MailError, match="WATCHER_OUTBOX"):
        OutboxMailer(blocker / "outbox").send(b"x", sender=SENDER, recipients=["a@example.org"], name=NAME)


def test_make_mailer(tmp_path: Path, smtp_server: SmtpServer) -> None:
    outbox = make_mailer(None, tmp_path)
    assert isinstance(outbox, OutboxMailer) and isinstance(outbox, Mailer)
    assert isinstance(make_mailer("", tmp_path), OutboxMailer)
    smtp = make_mailer(smtp_server.url, tmp_path)
    assert isinstance(smtp, SmtpMailer) and isinstance(smtp, Mailer)
    smtp.send(digest_bytes(), sender=SENDER, recipients=["a@example.org"], name=NAME)
    assert len(smtp_server.messages) == 1 and list(tmp_path.iterdir()) == []


def test_starttls(smtp_starttls_server: SmtpServer) -> None:
    mailer = SmtpMailer(smtp_starttls_server.url, ssl_context=smtp_starttls_server.ssl_context)
    mailer.send(digest_bytes(), sender=SENDER, recipients=["a@example.org"], name=NAME)
    assert len(smtp_starttls_server.messages) == 1


def test_starttls_with_an_untrusted_certificate_fails_cleanly(smtp_starttls_server: SmtpServer) -> None:
    with pytest.raises(MailError, match="certificate that is not trusted") as e:
        SmtpMailer(smtp_starttls_server.url.split("&cafile=")[0]).send(digest_bytes(), sender=SENDER, recipients=["a@example.org"],
                                                  name=NAME)
    assert "WATCHER_SMTP_URL" in str(e.value) and smtp_starttls_server.messages == []


def test_server_requiring_starttls_refuses_plain_mail(smtp_starttls_server: SmtpServer) -> None:
    plain = smtp_starttls_server.url.split("?")[0]
    with pytest.raises(MailError, match="WATCHER_SMTP_URL"):
        SmtpMailer(plain).send(digest_bytes(), sender=SENDER, recipients=["a@example.org"], name=NAME)
    assert smtp_starttls_server.messages == []


def test_starttls_trusts_the_ca_the_url_names(smtp_starttls_server: SmtpServer) -> None:
    assert "cafile=" in smtp_starttls_server.url
    SmtpMailer(smtp_starttls_server.url).send(digest_bytes(), sender=SENDER, recipients=["a@example.org"], name=NAME)
    assert len(smtp_starttls_server.messages) == 1


def test_credentials_upgrade_to_starttls_when_the_server_offers_it(smtp_auth_server: SmtpServer) -> None:
    # The URL has no starttls=1; the server only takes AUTH over TLS: the mailer upgrades because it has a password.
    assert "starttls" not in smtp_auth_server.url
    SmtpMailer(smtp_auth_server.url).send(digest_bytes(), sender=SENDER, recipients=["a@example.org"], name=NAME)
    assert smtp_auth_server.logins == ["watcher"] and len(smtp_auth_server.messages) == 1


def test_credentials_are_never_sent_over_a_plain_connection(smtp_plain_auth_server: SmtpServer) -> None:
    # This server would take AUTH in clear; the mailer refuses to send the password, in one line, and sends nothing.
    server = smtp_plain_auth_server
    with pytest.raises(MailError) as e:
        SmtpMailer(server.url).send(digest_bytes(), sender=SENDER, recipients=["a@example.org"], name=NAME)
    assert type(e.value) is MailError  # not MailRefused: the delivery stays pending, retried when the server is fixed
    assert "does not offer STARTTLS" in str(e.value) and "\n" not in str(e.value)
    assert server.auth_attempts == [] and server.messages == []
    assert str(server.password) not in str(e.value)


@pytest.mark.parametrize("password", ["pässwörd-ключ", "a/b?c#d@e f%g", "日本語のパスワード"])
def test_a_password_with_url_syntax_or_beyond_ascii_logs_in(smtp_servers: Servers, password: str) -> None:
    with smtp_servers(auth=True, tls="offered", password=password) as server:
        assert password not in server.url  # percent-encoded, the form the README asks for
        SmtpMailer(server.url).send(digest_bytes(), sender=SENDER, recipients=["a@example.org"], name=NAME)
        assert server.logins == ["watcher"] and len(server.messages) == 1


def test_a_non_ascii_password_written_raw_logs_in_too(smtp_servers: Servers) -> None:
    with smtp_servers(auth=True, tls="offered", password="пароль-ü") as server:
        raw = server.url.replace(server.url.split("://")[1].split("@")[0], "watcher:пароль-ü")
        SmtpMailer(raw).send(digest_bytes(), sender=SENDER, recipients=["a@example.org"], name=NAME)
        assert server.logins == ["watcher"]


@pytest.mark.parametrize(("url", "says"), [
    ("smtp://[::1", "not a valid name or [IPv6] address"),
    ("smtp://user:Kx9L/VwQ8@[::1:25", "raw '/', '?' or '#'"),
    ("smtp://user:Kx9L/VwQ8@mail.example.org", "raw '/', '?' or '#'"),
    ("smtp://user:Kx9L?VwQ8@mail.example.org:587", "raw '/', '?' or '#'"),
    ("smtp://user:Kx9L#VwQ8@mail.example.org", "raw '/', '?' or '#'"),
    ("smtp://user:Kx9L VwQ8@mail.example.org:99999", "not a number from 0 to 65535"),
    ("smtp://user:Kx9LVwQ8@mail.example.org:port", "not a number from 0 to 65535"),
    ("smtp://user:Kx9LVwQ8@mail.example.org?cafile=/nonexistent/ca.pem", "no file"),
])
def test_a_bad_smtp_url_is_one_line_without_the_password(url: str, says: str) -> None:
    with pytest.raises(MailError) as e:
        parse_smtp_url(url)
    message = str(e.value)
    assert says in message and "\n" not in message
    assert "Kx9L" not in message and "VwQ8" not in message


def test_a_raw_at_sign_in_the_password_is_read_as_urllib_reads_it() -> None:
    t = parse_smtp_url("smtp://user:p@ss@mail.example.org:587")
    assert (t.host, t.port, t.username, t.password) == ("mail.example.org", 587, "user", "p@ss")


def test_the_cli_says_a_broken_smtp_url_in_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    from watcher.cli import main

    (tmp_path / "w.yaml").write_text(WATCHLIST_YAML)
    monkeypatch.setenv("WATCHER_DATABASE_URL", f"sqlite:///{tmp_path / 'w.db'}")
    assert main(["--config", str(tmp_path / "w.yaml"), "db", "upgrade"]) == 0
    capsys.readouterr()
    monkeypatch.setenv("WATCHER_SMTP_URL", "smtp://user:s3cr/et-pw@[::1")
    assert main(["--config", str(tmp_path / "w.yaml"), "digest", "--send"]) == 1
    out, err = capsys.readouterr()
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert "s3cr" not in out + err and "et-pw" not in out + err


def test_smtps(smtps_server: SmtpServer) -> None:
    SmtpMailer(smtps_server.url, ssl_context=smtps_server.ssl_context).send(
        digest_bytes(), sender=SENDER, recipients=["a@example.org"], name=NAME)
    (got,) = smtps_server.messages
    assert got.message["Subject"].startswith("South Caucasus daily")


# What counts as sent: the server's 250 after DATA, whatever the session does after it.
@pytest.mark.parametrize("server", [{"replies": {"QUIT": "500 5.5.1 what?"}}, {"replies": {"QUIT": "421 closing"}},
                                    {"hang_up_after_data": True}], ids=["500-to-quit", "421-to-quit", "hang-up"])
def test_a_message_accepted_after_data_is_sent_whatever_the_session_does_next(server: dict[str, object],
                                                                              smtp_servers: Servers) -> None:
    with smtp_servers(**server) as smtp:
        SmtpMailer(smtp.url).send(digest_bytes(), sender=SENDER, recipients=["a@example.org"], name=NAME)
        assert len(smtp.messages) == 1


@pytest.mark.parametrize(("command", "reply", "for_good"), [
    ("RCPT", "550 5.1.1 no such user", True), ("DATA", "554 5.7.1 spam", True), ("RCPT", "553 5.1.3 bad address", True),
    ("RCPT", "450 4.2.1 mailbox busy", False), ("DATA", "451 4.3.0 try later", False),
    ("RCPT", "452 4.5.3 too many recipients", False)])
def test_a_5xx_to_rcpt_or_data_is_a_refusal_for_good_and_a_4xx_worth_retrying(
        command: str, reply: str, for_good: bool, smtp_servers: Servers) -> None:
    with smtp_servers(replies={command: reply}) as smtp:
        with pytest.raises(MailError, match=reply.split()[0]) as e:
            SmtpMailer(smtp.url).send(digest_bytes(), sender=SENDER, recipients=["a@example.org"], name=NAME)
        assert isinstance(e.value, MailRefused) is for_good
        assert "\n" not in str(e.value) and smtp.messages == []


def test_a_server_that_trickles_its_greeting_is_cut_at_the_conversation_deadline(smtp_tarpit: Servers) -> None:
    # No single read waits longer than timeout=, so only a deadline on the whole conversation ends it.
    with smtp_tarpit(trickle=True) as url:
        errors: list[BaseException] = []

        def send() -> None:
            try:
                SmtpMailer(f"{url}?timeout=0.5").send(digest_bytes(), sender=SENDER, recipients=["a@example.org"],
                                                      name=NAME)
            except MailError as e:
                errors.append(e)

        thread = threading.Thread(target=send, daemon=True)
        thread.start()
        thread.join(60)  # a bound for the hang this guards against, not a timing
        assert not thread.is_alive(), "the mailer is still talking to the tarpit"
    (error,) = errors
    assert "did not finish the conversation within 2s" in str(error) and not isinstance(error, MailRefused)


def test_a_server_that_never_answers_times_out(smtp_tarpit: Servers) -> None:
    with smtp_tarpit() as url, pytest.raises(MailError, match=r"did not answer within 0\.5s"):
        SmtpMailer(f"{url}?timeout=0.5").send(digest_bytes(), sender=SENDER, recipients=["a@example.org"], name=NAME)
