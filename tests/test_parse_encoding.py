"""Documents in the encodings feeds are still served in, declared or not: each reads back as its text."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from watcher.cli import main
from watcher.parse import parse_feed
from watcher.parse.encoding import decode_document

FETCHED = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
# Several items of news in each language, as an outlet would write them.
NEWS = {
    "koi8-r": ["Премьер-министр Армении Никол Пашинян провёл переговоры в Москве",
               "Президент России подписал указ о новых мерах поддержки экономики",
               "В Ереване прошла встреча министров иностранных дел стран региона"],
    "windows-1251": ["Премьер-министр Армении Никол Пашинян провёл переговоры в Москве",
                     "Украинские аграрии начали посевную кампанию раньше обычного",
                     "В Баку открылась международная нефтегазовая выставка"],
    "euc-jp": ["東京で開かれた会議で首相は新しい経済政策を発表しました",
               "大阪の市場は好意的に反応し株価が上昇しています",
               "政府は来年度の予算案について野党と協議を続けています"],
    "shift_jis": ["東京で開かれた会議で首相は新しい経済政策を発表しました",
                  "大阪の市場は好意的に反応し株価が上昇しています",
                  "政府は来年度の予算案について野党と協議を続けています"],
    "gb2312": ["国务院总理今天在北京主持召开会议研究部署经济工作",
               "上海证券市场今日上涨投资者信心明显增强",
               "外交部发言人就地区局势回答了记者提问"],
    "euc-kr": ["대통령은 오늘 서울에서 열린 회의에서 새로운 경제 정책을 발표했습니다",
               "국회는 내년도 예산안을 두고 여야 협상을 계속하고 있습니다",
               "부산 항만의 물동량이 지난해보다 크게 늘었습니다"],
    "windows-1252": ["Le président de la République a annoncé une réforme très attendue à Paris",
                     "Größere Änderungen im Haushalt werden für nächstes Jahr erwartet",
                     "El ministro de Economía presentó el presupuesto en la reunión del jueves"],
    "big5": ["行政院長今天在台北宣布新的經濟政策市場反應良好",
             "立法院今天審查明年度的預算案朝野持續協商",
             "高雄港的貨運量比去年大幅增加"],
}


def feed(titles: list[str], *, declaration: str = '<?xml version="1.0"?>') -> str:
    items = "".join(f"<item><title>{title}</title><link>https://news.example/{index}</link>"
                    f"<description>&lt;p&gt;{title}. {title}.&lt;/p&gt;</description></item>\n"
                    for index, title in enumerate(titles))
    return f'{declaration}\n<rss version="2.0"><channel><title>News</title>{items}</channel></rss>\n'


@pytest.mark.parametrize("encoding", sorted(NEWS))
def test_undeclared_encoding_is_detected(encoding: str) -> None:
    content = feed(NEWS[encoding]).encode(encoding)
    parsed = parse_feed(content, url="https://news.example/rss", fetched_at=FETCHED)
    assert [item.title for item in parsed.items] == NEWS[encoding]


@pytest.mark.parametrize("encoding", ["koi8-r", "euc-jp", "shift_jis", "gb2312", "euc-kr"])
def test_a_label_the_bytes_break_gives_way_to_detection(encoding: str) -> None:
    content = feed(NEWS[encoding]).encode(encoding)
    parsed = parse_feed(content, url="https://news.example/rss", fetched_at=FETCHED,
                        headers=[("content-type", "application/rss+xml; charset=utf-8")])
    assert [item.title for item in parsed.items] == NEWS[encoding]
    assert parsed.problems and "declared as utf-8" in parsed.problems[0]


@pytest.mark.parametrize("encoding", ["utf-16-be", "utf-16-le", "utf-32-be", "utf-32-le"])
@pytest.mark.parametrize("label", ["utf-16", "UTF-32", "utf-16le", None])
@pytest.mark.parametrize("lead", ["", "\n  "])
def test_utf16_and_utf32_without_a_byte_order_mark(encoding: str, label: str | None, lead: str) -> None:
    titles = ["Никол Пашинян в Ереване", "Նիկոլ Փաշինյան Երևանում", "東京 😀"]
    declaration = f'<?xml version="1.0" encoding="{label}"?>' if label else '<?xml version="1.0"?>'
    content = (lead + feed(titles, declaration=declaration)).encode(encoding)
    assert decode_document(content).encoding == encoding  # the byte order is in the bytes, whatever the label
    parsed = parse_feed(content, url="https://news.example/rss", fetched_at=FETCHED)
    assert [item.title for item in parsed.items] == titles


def test_scan_matches_a_name_in_an_undeclared_koi8r_feed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "feed.xml"
    path.write_bytes(feed(NEWS["koi8-r"]).encode("koi8-r"))
    watchlist = tmp_path / "watchlist.yaml"
    watchlist.write_text("actors:\n  - id: pashinyan\n    name: Никол Пашинян\n", encoding="utf-8")
    assert main(["--config", str(watchlist), "scan", str(path), "--json"]) == 0
    items = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert items[0]["title"] == NEWS["koi8-r"][0]
    assert {m["field"] for m in items[0]["matches"]} == {"title", "text"}
