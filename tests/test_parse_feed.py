"""parse_feed behaviour across documents: charsets from headers, stable keys, languages, publishers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from watcher.parse import parse_feed

FETCHED = datetime(2026, 6, 10, 12, 0, tzinfo=UTC)


def rss(items: str, *, declaration: str = '<?xml version="1.0" encoding="utf-8"?>', channel: str = "") -> str:
    return f'{declaration}<rss version="2.0"><channel><title>T</title>{channel}{items}</channel></rss>'


def test_http_charset_wins_over_a_wrong_declaration() -> None:
    content = rss("<item><title>Степанакерт</title><link>https://e.ru/1</link></item>",
                  declaration='<?xml version="1.0" encoding="iso-8859-1"?>').encode("cp1251")
    parsed = parse_feed(content, url="https://e.ru/rss", headers=[("content-type", "text/xml; charset=windows-1251")],
                        fetched_at=FETCHED)
    assert parsed.items[0].title == "Степанакерт"


def test_declaration_wins_over_a_wrong_http_charset() -> None:
    content = rss("<item><title>Степанакерт</title><link>https://e.ru/1</link></item>",
                  declaration='<?xml version="1.0" encoding="windows-1251"?>').encode("cp1251")
    parsed = parse_feed(content, url="https://e.ru/rss", headers=[("Content-Type", "application/xml; charset=UTF-8")],
                        fetched_at=FETCHED)
    assert parsed.items[0].title == "Степанакерт"


def test_utf8_bytes_labelled_latin1_are_read_as_utf8() -> None:
    content = rss("<item><title>Երևան</title><link>https://e.am/1</link></item>",
                  declaration='<?xml version="1.0" encoding="ISO-8859-1"?>').encode("utf-8")
    parsed = parse_feed(content, url="https://e.am/rss", fetched_at=FETCHED)
    assert parsed.items[0].title == "Երևան"
    assert parsed.problems == ("declared as windows-1252, but the bytes are UTF-8",)


def test_keys_are_stable_across_polls_and_sources() -> None:
    items = ("<item><title>A</title><link>https://news.example.am/eng/news/1/?utm_source=rss</link></item>"
             "<item><title>B</title><guid isPermaLink=\"false\">id-2</guid></item>"
             "<item><title>C</title><description>no link, no guid</description></item>")
    first = parse_feed(rss(items).encode(), url="https://news.example.am/eng/rss/", fetched_at=FETCHED)
    later = parse_feed(rss(items).encode(), url="https://news.example.am/eng/rss/",
                       fetched_at=FETCHED + timedelta(hours=5))
    assert [i.key for i in first.items] == [i.key for i in later.items]
    assert [i.key.split(":")[0] for i in first.items] == ["https", "guid", "hash"]
    search = rss("<item><title>A - News.am</title><link>https://NEWS.example.am/eng/news/1/#top</link>"
                 '<source url="https://news.example.am">News.am</source></item>')
    via_search = parse_feed(search.encode(), url="https://search.example/rss?q=x", fetched_at=FETCHED)
    assert via_search.items[0].key == first.items[0].key
    assert (via_search.items[0].title, via_search.items[0].publisher) == ("A", "News.am")


def test_a_guid_repeated_across_items_is_not_used_as_key() -> None:
    items = "".join(f"<item><title>T{i}</title><guid>https://same.example/</guid></item>" for i in range(3))
    parsed = parse_feed(rss(items).encode(), url="https://same.example/rss", fetched_at=FETCHED)
    assert len(parsed.items) == 3 and all(item.key.startswith("hash:") for item in parsed.items)


def test_publisher_suffix_is_only_stripped_when_it_matches() -> None:
    item = ('<item><title>Talks - in progress</title><link>https://g.example/1</link>'
            '<source url="https://r.example">Reuters</source></item>')
    parsed = parse_feed(rss(item).encode(), url="https://g.example/rss", fetched_at=FETCHED)
    assert (parsed.items[0].title, parsed.items[0].publisher) == ("Talks - in progress", "Reuters")


def test_language_from_the_feed_else_the_http_header() -> None:
    item = "<item><title>x</title><link>https://e.example/1</link></item>"
    declared = parse_feed(rss(item, channel="<language>hy-AM</language>").encode(), url="https://e.example/rss",
                          headers=[("content-language", "en")], fetched_at=FETCHED)
    undeclared = parse_feed(rss(item).encode(), url="https://e.example/rss", headers=[("content-language", "ru")],
                            fetched_at=FETCHED)
    bare = parse_feed(rss(item).encode(), url="https://e.example/rss", fetched_at=FETCHED)
    assert [p.items[0].language for p in (declared, undeclared, bare)] == ["hy-am", "ru", None]


def test_zone_less_dates_follow_the_source_timezone() -> None:
    item = "<item><title>x</title><link>https://e.example/1</link><pubDate>2026-06-06 03:08:29</pubDate></item>"
    parsed = parse_feed(rss(item).encode(), url="https://e.example/rss", fetched_at=FETCHED, timezone="Asia/Yerevan")
    assert parsed.items[0].published == datetime(2026, 6, 5, 23, 8, 29, tzinfo=UTC)


def test_naive_fetched_at_is_taken_as_utc() -> None:
    item = "<item><title>x</title><link>https://e.example/1</link></item>"
    parsed = parse_feed(rss(item).encode(), url="https://e.example/rss", fetched_at=datetime(2026, 6, 10, 12, 0))
    assert parsed.items[0].published == FETCHED


def test_blank_lines_before_the_declaration_are_no_problem() -> None:
    content = "\n\n  " + rss("<item><title>x</title><link>https://e.example/1</link></item>")
    parsed = parse_feed(content.encode(), url="https://e.example/rss", fetched_at=FETCHED)
    assert len(parsed.items) == 1 and parsed.problems == ()


def test_utf16_feed_with_bom() -> None:
    content = rss("<item><title>Երևան</title><link>https://e.am/1</link></item>",
                  declaration='<?xml version="1.0" encoding="UTF-16"?>').encode("utf-16")
    parsed = parse_feed(content, url="https://e.am/rss", fetched_at=FETCHED)
    assert [item.title for item in parsed.items] == ["Երևան"] and parsed.problems == ()
