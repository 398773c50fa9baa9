"""Four weeks of generated news in English, Russian and Armenian, with a planted burst and a planted emerging name.

Noise every day: Pashinyan, Aliyev and Putin in many items (always frequent: never a burst), Zatulin now and then,
an unwatched minister (Ararat Mirzoyan) every day for weeks (no growth: never emerging), months, weekdays,
capitals, titles and sentences that open with a capitalised word. Planted, on the last day before ``END``:
- a burst: Samvel Babayan, quiet for weeks (one item three weeks before), in 12 items from six outlets in three
  languages;
- an emerging name: Arsen Tonoyan (Арсен Тоноян, Тонояна, Тонояну; Արսեն Տոնոյան, Տոնոյանի) beside Pashinyan in
  5 items from 4 outlets, once before (ten days earlier).

``fill(store)`` stores it all as a poll would (the real matcher finds the matches); the digest is daily at 07:00
UTC, so its first period is the last day.
"""

from __future__ import annotations

import random
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from watcher.config import Watchlist, parse_watchlist
from watcher.match import compile_matcher
from watcher.models import Item
from watcher.store import Store

END = datetime(2026, 3, 30, 7, 0, tzinfo=UTC)
DAYS = 28
SOURCES = {"wire-en": "en", "post-en": "en", "lenta-ru": "ru", "vesti-ru": "ru", "lratu-hy": "hy", "azatamtk-hy": "hy"}

WATCHLIST = """
sources:
""" + "".join(f"  - {{name: {s}, url: 'http://127.0.0.1:9/{s}', language: {lang}}}\n" for s, lang in SOURCES.items()) + """
actors:
  - {id: pashinyan, name: Nikol Pashinyan, aliases: [Никол Пашинян, Նիկոլ Փաշինյան]}
  - {id: aliyev, name: Ilham Aliyev, aliases: [Ильхам Алиев, Իլհամ Ալիև]}
  - {id: putin, name: Vladimir Putin, aliases: [Владимир Путин, Վլադիմիր Պուտին]}
  - {id: zatulin, name: Konstantin Zatulin, aliases: [Константин Затулин, Կոնստանտին Զատուլին]}
  - {id: babayan, name: Samvel Babayan, aliases: [Самвел Бабаян, Սամվել Բաբայան]}
situations:
  - {id: region, title: The region, actors: [pashinyan, aliyev, putin, zatulin, babayan]}
digests:
  - {id: daily, title: Region daily, to: [analyst@example.org], schedule: 'daily 07:00', timezone: UTC}
"""

# (language, title, text): noise, each naming watched people among common capitalised words
NOISE = {
    "pashinyan": [
        ("en", "Pashinyan chairs cabinet meeting in Yerevan",
         "Prime Minister Nikol Pashinyan chaired a cabinet meeting in Yerevan on Monday. The Government discussed "
         "the budget for March. Foreign Minister Ararat Mirzoyan reported on talks in Moscow."),
        ("ru", "Пашинян провел заседание правительства",
         "Премьер-министр Армении Никол Пашинян в четверг провел заседание правительства в Ереване. Министр "
         "иностранных дел Арарат Мирзоян доложил о визите в Брюссель в марте."),
        ("hy", "Փաշինյանը կառավարության նիստ է անցկացրել",
         "Վարչապետ Նիկոլ Փաշինյանը Երևանում կառավարության նիստ է անցկացրել։ Արտգործնախարար Արարատ Միրզոյանը "
         "զեկուցել է Մոսկվա կատարած այցի մասին։"),
    ],
    "aliyev": [
        ("en", "Aliyev receives delegation in Baku",
         "President Ilham Aliyev received a delegation from Ankara in Baku on Tuesday. Officials said the "
         "talks in April would continue in Brussels."),
        ("ru", "Алиев принял делегацию в Баку",
         "Президент Азербайджана Ильхам Алиев в среду принял в Баку делегацию из Анкары. Встреча прошла в "
         "Президентском дворце."),
        ("hy", "Ալիևը Բաքվում պատվիրակություն է ընդունել",
         "Ադրբեջանի նախագահ Իլհամ Ալիևը Բաքվում ընդունել է պատվիրակություն Թուրքիայից։"),
    ],
    "putin": [
        ("en", "Putin holds security council session",
         "Vladimir Putin held a session of the Security Council in Moscow on Friday. The Kremlin said the "
         "situation in the South Caucasus was discussed."),
        ("ru", "Путин провел совещание Совбеза",
         "Владимир Путин в пятницу провел в Москве совещание с постоянными членами Совета безопасности. "
         "Обсуждалась ситуация на Южном Кавказе."),
        ("hy", "Պուտինը Անվտանգության խորհրդի նիստ է անցկացրել",
         "Վլադիմիր Պուտինը Մոսկվայում Անվտանգության խորհրդի նիստ է անցկացրել։"),
    ],
    "zatulin": [
        ("ru", "Затулин высказался о Карабахе",
         "Депутат Госдумы Константин Затулин в понедельник заявил в Москве, что переговоры продолжатся в мае."),
        ("en", "Zatulin comments on talks",
         "Konstantin Zatulin, a member of the State Duma, said on Sunday the talks would resume in May."),
    ],
}
BURST = [
    ("en", "Samvel Babayan announces a new movement",
     "Samvel Babayan announced a new movement in Stepanakert on Sunday, flanked by former commanders."),
    ("ru", "Самвел Бабаян объявил о создании движения",
     "Самвел Бабаян в воскресенье объявил в Степанакерте о создании нового движения."),
    ("hy", "Սամվել Բաբայանը նոր շարժում է հայտարարել",
     "Սամվել Բաբայանը կիրակի Ստեփանակերտում հայտարարել է նոր շարժման ստեղծման մասին։"),
    ("en", "Babayan's movement draws crowds; Pashinyan silent",
     "Thousands gathered as Samvel Babayan spoke; Nikol Pashinyan made no comment."),
]
EMERGING = [
    ("en", "Pashinyan names a new adviser",
     "Nikol Pashinyan appointed Arsen Tonoyan as his adviser on regional affairs, the office said on Sunday."),
    ("ru", "Пашинян назначил советника",
     "Никол Пашинян назначил своим советником Арсена Тонояна. По словам Тонояна, работа начнется в апреле."),
    ("hy", "Փաշինյանը նոր խորհրդական ունի",
     "Նիկոլ Փաշինյանը խորհրդական է նշանակել Արսեն Տոնոյանին։ Արսեն Տոնոյանը նախկինում աշխատել է Գյումրիում։"),
    ("ru", "Советник Пашиняна встретился с послами",
     "Новый советник Никола Пашиняна Арсен Тоноян провел встречу с послами ЕС в Ереване."),
    ("en", "Adviser Tonoyan meets ambassadors",
     "Arsen Tonoyan, the new adviser to Nikol Pashinyan, met EU ambassadors in Yerevan."),
]
EMERGING_BEFORE = ("hy", "Փաշինյանի թիմում նոր անուններ",
                   "Նիկոլ Փաշինյանի թիմում քննարկվում է Արսեն Տոնոյանի թեկնածությունը։")


@dataclass(frozen=True, slots=True)
class NewsItem:
    """One generated item."""

    source: str
    published: datetime
    title: str
    text: str


def watchlist() -> Watchlist:
    """The watchlist the generated news is written for."""
    return parse_watchlist(WATCHLIST, "burst-watchlist.yaml")


def news(seed: int = 17) -> list[NewsItem]:
    """Every generated item, oldest first."""
    rng = random.Random(seed)
    out: list[NewsItem] = []
    by_language = {lang: [s for s, sl in SOURCES.items() if sl == lang] for lang in ("en", "ru", "hy")}

    def put(day_start: datetime, hour: float, language: str, title: str, text: str, source: str | None = None) -> None:
        out.append(NewsItem(source or rng.choice(by_language[language]), day_start + timedelta(hours=hour), title, text))

    for day in range(DAYS):
        start = END - timedelta(days=DAYS - day)
        for entry, per_day in (("pashinyan", 6), ("aliyev", 4), ("putin", 4)):
            for _ in range(per_day + rng.randrange(-1, 2)):
                put(start, rng.uniform(0.5, 23.5), *rng.choice(NOISE[entry]))
        if day % 3 == 0:
            put(start, rng.uniform(0.5, 23.5), *rng.choice(NOISE["zatulin"]))
    first = END - timedelta(days=DAYS)
    put(first + timedelta(days=6), 10, *BURST[0])  # Babayan once, three weeks before
    put(END - timedelta(days=10), 9, *EMERGING_BEFORE)  # Tonoyan once, ten days before
    last = END - timedelta(days=1)
    for n in range(12):
        language, title, text = BURST[n % len(BURST)]
        put(last, 1 + n * 1.5, language, title, text, source=by_language[language][(n // 4) % 2])
    for n, (language, title, text) in enumerate(EMERGING):
        put(last, 2 + n * 3.5, language, title, text, source=by_language[language][n % 2])
    out.sort(key=lambda i: (i.published, i.source, i.title))
    return out


def fill(store: Store, items: list[NewsItem] | None = None, wl: Watchlist | None = None) -> int:
    """Store the generated news as polls would have, matched by the real matcher; return how many items."""
    wl = wl or watchlist()
    matcher = compile_matcher(wl.entries)
    items = items if items is not None else news()
    store.sync_sources([(s.name, s.url) for s in wl.sources], now=END - timedelta(days=DAYS + 1))
    for i in items:
        link = f"https://{i.source}.example/{i.published:%m%d-%H%M}-{zlib.crc32(i.title.encode()) % 1000:03d}"
        item = Item(key=link, title=i.title, text=i.text, link=link, published=i.published,
                    language=SOURCES[i.source])
        store.record_success(i.source, now=i.published + timedelta(minutes=5), status=200, etag=None,
                             last_modified=None, items=[item], matches={link: list(matcher.match(item))})
    return len(items)
