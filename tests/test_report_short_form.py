"""The digest's short form for channels: headline figures, top stories with links, the full digest's link, written
in each service's markup within its limits."""

from __future__ import annotations

import html
import re
from dataclasses import replace

import apprise
import pytest
from test_report_samples import DAILY, KEY_ITEMS, NOW, PERIOD, WATCHLIST, match, sample_history, sample_matches, stored

from watcher.channels import shape_of
from watcher.report import build_digest, subject
from watcher.report.short_form import ShortForm, ShortStory, from_bytes, render_short_form, short_form, to_bytes

LINK = "https://archive.example.org/daily"


def sample() -> ShortForm:
    d = build_digest(DAILY, WATCHLIST, sample_matches(), [], PERIOD, now=NOW, history=sample_history(),
                     key_items=KEY_ITEMS)
    return short_form(d, link=LINK)


def test_the_short_form_says_the_headline_figures_the_top_stories_and_where_the_full_digest_is() -> None:
    d = build_digest(DAILY, WATCHLIST, sample_matches(), [], PERIOD, now=NOW, history=sample_history(),
                     key_items=KEY_ITEMS)
    form = short_form(d, link=LINK)
    assert form.title == subject(d)
    assert form.figures[0] == "Peace process — 4 items from 4 outlets, 1 key development"
    assert "  Nikol Pashinyan 4 (up from avg 1.2)" in form.figures
    links = [s.link for s in form.stories]
    assert "https://www.interfax.ru/world/2" in links and "https://www.azatutyun.am/a/1.html" in links
    assert len(set(links)) == len(links)  # a story in two situations is listed once
    assert [s.key for s in form.stories if s.link == "https://www.interfax.ru/world/2"] == [True]
    assert form.link == LINK
    assert from_bytes(to_bytes(form)) == form


def test_nothing_new_says_so_in_the_title_and_the_body() -> None:
    form = short_form(build_digest(DAILY, WATCHLIST, [], [], PERIOD, now=NOW))
    assert form.title == "South Caucasus daily: nothing new" and form.figures == () and form.stories == ()
    assert render_short_form(form, markup="text") == (form.title, form.title)  # services refuse an empty body
    assert render_short_form(form, markup="html", title_max=0) == ("", form.title)


@pytest.mark.parametrize("markup", ["text", "markdown", "html"])
def test_each_markup_carries_every_story_and_its_link(markup: str) -> None:
    form = sample()
    title, body = render_short_form(form, markup=markup)  # type: ignore[arg-type]
    assert title == form.title
    for story in form.stories:
        assert story.link is not None and story.link in body
    assert LINK in body and "Top stories" in body


def test_feed_text_cannot_inject_markup() -> None:
    hostile = ShortForm(title="Daily: 1 item", figures=("Peace <process> — 1 item",),
                        stories=(ShortStory(title='<script>x</script> [click](http://evil) *bold*',
                                            link="https://example.org/a(1)", outlets=("A & B",), key=False),),
                        more_stories=0, link=None)
    _, as_html = render_short_form(hostile, markup="html")
    assert "<script>" not in as_html and "&lt;script&gt;" in as_html and "A &amp; B" in as_html
    assert re.findall(r"<a href=\"([^\"]+)\"", as_html) == ["https://example.org/a(1)"]
    _, as_markdown = render_short_form(hostile, markup="markdown")
    assert "[click](http://evil)" not in as_markdown  # the title's brackets are escaped: one link only
    assert as_markdown.count("](") == 1 and "(https://example.org/a%281%29)" in as_markdown


def test_a_service_without_titles_gets_the_title_first_in_the_body() -> None:
    form = sample()
    title, body = render_short_form(form, markup="html", title_max=0)
    assert title == "" and body.startswith(f"<b>{html.escape(form.title, quote=False)}</b>")


def test_stories_are_left_out_from_the_last_up_to_fit_the_services_limit() -> None:
    many = replace(sample(), stories=tuple(ShortStory(title=f"Story number {n} " + "x" * 80,
                                                      link=f"https://example.org/{n}", outlets=("Outlet",), key=False)
                                           for n in range(40)), more_stories=0)
    _, whole = render_short_form(many, markup="text")
    assert len(whole) > 2000
    title, body = render_short_form(many, markup="text", body_max=2000, title_max=250)
    assert len(body) <= 2000
    shown = re.findall(r"Story number (\d+)", body)
    assert shown == [str(n) for n in range(len(shown))] and 0 < len(shown) < 40  # the first ones, in order
    assert f"… and {40 - len(shown)} more stories" in body
    # A service that counts the title in the body's limit (ntfy, Discord) gets both within it.
    title, body = render_short_form(many, markup="markdown", body_max=2000, title_max=250, shared=True)
    assert len(title) + len(body) <= 2000


def test_a_limit_smaller_than_any_story_still_gives_a_message_within_it() -> None:
    form = sample()
    title, body = render_short_form(form, markup="html", body_max=60, title_max=0)
    # Not a tag cut in half: the title alone, as plain text, cut to the limit.
    assert title == "" and len(body) == 60 and "<" not in body and body == form.title[:59].rstrip() + "…"


def test_each_service_is_written_as_apprise_describes_it() -> None:
    telegram = shape_of(apprise.Apprise.instantiate("tgram://123456789:AAbbCCdd/12345"))
    assert (telegram.markup, telegram.body_max, telegram.title_max) == ("html", 4096, 0)
    ntfy = shape_of(apprise.Apprise.instantiate("ntfys://ntfy.example.org/alerts"))
    assert ntfy.markup == "text" and ntfy.title_max > 0 and ntfy.shared
    chosen = shape_of(apprise.Apprise.instantiate("json://127.0.0.1:9/hook?format=markdown"))
    assert chosen.markup == "markdown"  # the URL's ?format= overrides the service's default


def test_a_query_selected_story_is_marked_as_a_key_development() -> None:
    item = stored(7, "Treaty text published", link="https://example.org/treaty")
    d = build_digest(DAILY, WATCHLIST, [match(item, "peace", "the [[treaty]] text")], [], PERIOD, now=NOW,
                     key_items={"peace": {7}})
    (story,) = short_form(d).stories
    assert story.key
    assert "(key development)" in render_short_form(short_form(d), markup="text")[1]
