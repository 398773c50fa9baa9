"""Weeks of generated news in English, Russian and Armenian with planted storylines, for the storyline tests.

``news(end)`` writes five weeks of items dated back from ``end``: the planted storylines below, each item marked
with its plant, among many unplanted items about the same watched people (the noise: a person, something they did,
a topic, a place and a detail, drawn at random, each in one language). Plants:

- ``trial``: Robert Kocharyan's trial over March 1, 2008, four hearings 4 days apart (the last on the end's day),
  reported in English, Russian and Armenian by four outlets; the judge is named in every language.
- ``commission``: the border commissions of Mher Grigoryan and Shahin Mustafayev, three meetings 5 days apart (the
  last on the end's day), in three languages; the places (Tavush, Gazakh) are the bridge between them.
- ``resignation``: health minister Aram Mkrtumyan resigns, Nikol Pashinyan accepts, Lilit Hovakimyan succeeds him,
  on three days up to the end's day; the first day names no watched person.
- ``other-trial``: another trial (Artur Melikyan's), two hearings, in English and Russian: courtroom words like the
  first trial's, no name in common with it.
- ``gas-talks``: gas price talks three and four weeks before the end, outside a two-week window.

Decoys that must stay apart from the plants: Mher Grigoryan at a trade commission in Moscow, Kocharyan and
Pashinyan in the news every day about other things, court and commission words in the noise.
The news is the same for the same ``end`` and ``seed``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from watcher.models import Field, Mention, MentionedItem
from watcher.report.stories import StoryItem

DAY = timedelta(days=1)
OUTLETS = {
    "en": ("Caucasus Wire", "Yerevan Daily"),
    "ru": ("Кавказская лента", "Вестник Кавказа"),
    "hy": ("Լրատու", "Արմլուր"),
}
# entry id -> its name in each language, as the items write it (the watchlist below knows every spelling)
PEOPLE = {
    "kocharyan": {"en": "Robert Kocharyan", "ru": "Роберт Кочарян", "hy": "Ռոբերտ Քոչարյան"},
    "pashinyan": {"en": "Nikol Pashinyan", "ru": "Никол Пашинян", "hy": "Նիկոլ Փաշինյան"},
    "aliyev": {"en": "Ilham Aliyev", "ru": "Ильхам Алиев", "hy": "Իլհամ Ալիև"},
    "grigoryan": {"en": "Mher Grigoryan", "ru": "Мгер Григорян", "hy": "Մհեր Գրիգորյան"},
    "mustafayev": {"en": "Shahin Mustafayev", "ru": "Шахин Мустафаев", "hy": "Շահին Մուստաֆաև"},
}
WATCHLIST = """\
defaults: {timezone: Asia/Yerevan}
actors:
  - {id: kocharyan, name: Robert Kocharyan, aliases: [Роберт Кочарян, Ռոբերտ Քոչարյան]}
  - {id: pashinyan, name: Nikol Pashinyan, aliases: [Никол Пашинян, Նիկոլ Փաշինյան]}
  - {id: aliyev, name: Ilham Aliyev, aliases: [Ильхам Алиев, Իլհամ Ալիև]}
  - {id: grigoryan, name: Mher Grigoryan, aliases: [Мгер Григорян, Մհեր Գրիգորյան]}
  - {id: mustafayev, name: Shahin Mustafayev, aliases: [Шахин Мустафаев, Շահին Մուստաֆաև]}
situations:
  - id: yerevan
    title: Yerevan politics
    actors: [kocharyan, pashinyan]
    query: resign* OR appoint* OR отставк* OR назнач* OR հրաժարակ* OR նշանակ*
  - id: border
    title: The border
    actors: [grigoryan, mustafayev, aliyev]
digests:
  - {id: daily, title: Storylines daily, to: [analyst@example.org], schedule: "daily 07:00"}
"""


@dataclass(frozen=True, slots=True)
class NewsItem:
    """One generated item, with the watched entries it names and the storyline planted in it (None: noise)."""

    item_id: int
    published: datetime
    outlet: str
    language: str
    title: str
    lead: str
    link: str
    entries: frozenset[str]
    plant: str | None = None


# Planted items: (plant, days before the end, hours into that day before the end, language, outlet index,
# entries, title, lead).
_Plant = tuple[str | None, int, float, str, int, tuple[str, ...], str, str]
PLANTS: list[_Plant] = [
    ("trial", 12, 6, "en", 0, ("kocharyan",), "Kocharyan trial opens at a Yerevan court",
     "The trial of second president Robert Kocharyan over the events of March 1, 2008 opened before judge Lusine "
     "Avetyan, who read out the charges."),
    ("trial", 12, 5.5, "ru", 0, ("kocharyan",), "В Ереване начался суд над Кочаряном",
     "Судья Лусине Аветян открыла процесс по делу Роберта Кочаряна о событиях 1 марта 2008 года."),
    ("trial", 12, 5, "hy", 0, ("kocharyan",), "Սկսվել է Քոչարյանի դատավարությունը",
     "Դատավոր Լուսինե Ավետյանը սկսել է Ռոբերտ Քոչարյանի գործի քննությունը 2008 թվականի մարտի 1-ի դեպքերով։"),
    ("trial", 8, 7, "en", 1, ("kocharyan",), "Witness testifies at Kocharyan trial",
     "A former police officer testified at the trial of Robert Kocharyan over March 1, 2008; judge Lusine Avetyan "
     "adjourned the hearing until next week."),
    ("trial", 8, 6.5, "ru", 0, ("kocharyan",), "На суде над Кочаряном допросили свидетеля",
     "Бывший полицейский дал показания по делу Роберта Кочаряна о 1 марта 2008 года, судья Лусине Аветян отложила "
     "заседание."),
    ("trial", 4, 8, "en", 0, ("kocharyan",), "Judge Avetyan rejects Kocharyan defence motion",
     "Judge Lusine Avetyan rejected a motion of Robert Kocharyan's lawyers to end the trial over March 1, 2008."),
    ("trial", 4, 7.5, "hy", 1, ("kocharyan",), "Դատավորը մերժել է Քոչարյանի պաշտպանների միջնորդությունը",
     "Դատավոր Լուսինե Ավետյանը մերժել է Ռոբերտ Քոչարյանի փաստաբանների միջնորդությունը 2008 թվականի մարտի 1-ի "
     "գործով։"),
    ("trial", 0, 9, "en", 0, ("kocharyan",), "Prosecutor sums up at Kocharyan trial",
     "The prosecutor asked judge Lusine Avetyan to find Robert Kocharyan guilty over March 1, 2008, at the last "
     "hearing of the trial."),
    ("trial", 0, 8.5, "en", 1, ("kocharyan",), "Prosecutor asks for verdict in Kocharyan trial",
     "At the last hearing the prosecutor asked judge Lusine Avetyan for a guilty verdict against Robert Kocharyan "
     "over March 1, 2008."),
    ("trial", 0, 8, "ru", 1, ("kocharyan",), "Обвинение выступило на суде над Кочаряном",
     "Прокурор попросил судью Лусине Аветян признать Роберта Кочаряна виновным по делу 1 марта 2008 года."),
    ("trial", 0, 7.5, "hy", 0, ("kocharyan",), "Դատախազը եզրափակիչ ճառ է ասել Քոչարյանի գործով",
     "Դատախազը դատավոր Լուսինե Ավետյանից պահանջել է մեղավոր ճանաչել Ռոբերտ Քոչարյանին 2008 թվականի մարտի 1-ի "
     "գործով։"),
    ("commission", 10, 10, "en", 0, ("grigoryan", "mustafayev"), "Border commissions meet on the Tavush section",
     "The delimitation commissions led by Mher Grigoryan and Shahin Mustafayev met to discuss the border between "
     "Tavush and Gazakh."),
    ("commission", 10, 9, "ru", 1, ("grigoryan", "mustafayev"), "Комиссии по делимитации обсудили участок у Тавуша",
     "Комиссии во главе с Мгером Григоряном и Шахином Мустафаевым обсудили границу между Тавушем и Газахом."),
    ("commission", 10, 8.5, "hy", 0, ("grigoryan", "mustafayev"), "Սահմանազատման հանձնաժողովները հանդիպել են",
     "Մհեր Գրիգորյանի և Շահին Մուստաֆաևի գլխավորած հանձնաժողովները քննարկել են Տավուշի և Ղազախի միջև սահմանը։"),
    ("commission", 5, 11, "en", 1, ("grigoryan", "mustafayev"), "Commissions agree on first Tavush border markers",
     "Mher Grigoryan and Shahin Mustafayev said the delimitation commissions agreed on the first markers between "
     "Tavush and Gazakh."),
    ("commission", 5, 10, "ru", 0, ("grigoryan", "mustafayev"), "Григорян и Мустафаев согласовали первые столбы",
     "Комиссии по делимитации согласовали первые пограничные столбы между Тавушем и Газахом, сообщили Мгер Григорян "
     "и Шахин Мустафаев."),
    ("commission", 0, 12, "en", 0, ("grigoryan", "mustafayev"), "Border commissions sign Tavush protocol",
     "The delimitation commissions of Mher Grigoryan and Shahin Mustafayev signed a protocol on the border between "
     "Tavush and Gazakh."),
    ("commission", 0, 11.5, "ru", 1, ("grigoryan", "mustafayev"), "Комиссии подписали протокол о границе у Тавуша",
     "Мгер Григорян и Шахин Мустафаев подписали протокол комиссий по делимитации о границе между Тавушем и Газахом."),
    ("commission", 0, 11, "hy", 1, ("grigoryan", "mustafayev"), "Հանձնաժողովները ստորագրել են Տավուշի արձանագրությունը",
     "Մհեր Գրիգորյանը և Շահին Մուստաֆաևը ստորագրել են Տավուշի և Ղազախի միջև սահմանի արձանագրությունը։"),
    ("resignation", 2, 14, "en", 0, (), "Health minister Aram Mkrtumyan resigns",
     "Health minister Aram Mkrtumyan handed in his resignation on Saturday, citing the hospital reform."),
    ("resignation", 2, 13.5, "ru", 0, (), "Министр здравоохранения Арам Мкртумян подал в отставку",
     "Министр здравоохранения Армении Арам Мкртумян подал в отставку из-за реформы больниц."),
    ("resignation", 2, 13, "hy", 1, (), "Առողջապահության նախարար Արամ Մկրտումյանը հրաժարական է ներկայացրել",
     "Առողջապահության նախարար Արամ Մկրտումյանը հրաժարական է ներկայացրել հիվանդանոցների բարեփոխման պատճառով։"),
    ("resignation", 1, 15, "en", 1, ("pashinyan",), "Pashinyan accepts resignation of health minister Mkrtumyan",
     "Prime minister Nikol Pashinyan accepted the resignation of health minister Aram Mkrtumyan over the hospital "
     "reform."),
    ("resignation", 1, 14.5, "ru", 1, ("pashinyan",), "Пашинян принял отставку Арама Мкртумяна",
     "Никол Пашинян принял отставку министра здравоохранения Арама Мкртумяна из-за реформы больниц."),
    ("resignation", 0, 16, "en", 0, ("pashinyan",), "Lilit Hovakimyan appointed health minister after Mkrtumyan",
     "Nikol Pashinyan appointed Lilit Hovakimyan health minister after the resignation of Aram Mkrtumyan; she will "
     "carry on the hospital reform."),
    ("resignation", 0, 15.5, "ru", 0, ("pashinyan",), "Лилит Овакимян назначена министром здравоохранения",
     "Никол Пашинян назначил Лилит Овакимян министром здравоохранения после отставки Арама Мкртумяна; реформа "
     "больниц продолжится."),
    ("resignation", 0, 15, "hy", 0, ("pashinyan",), "Լիլիթ Հովակիմյանը նշանակվել է առողջապահության նախարար",
     "Նիկոլ Փաշինյանը Արամ Մկրտումյանի հրաժարականից հետո առողջապահության նախարար է նշանակել Լիլիթ "
     "Հովակիմյանին, որը կշարունակի հիվանդանոցների բարեփոխումը։"),
    ("other-trial", 9, 10, "en", 1, (), "Court hears case of Gyumri official Artur Melikyan",
     "The trial of Gyumri official Artur Melikyan on bribery charges opened; the hearing was adjourned."),
    ("other-trial", 9, 9.5, "ru", 1, (), "В Гюмри начался суд над чиновником Артуром Меликяном",
     "Суд над чиновником из Гюмри Артуром Меликяном по делу о взятке начался, заседание отложено."),
    ("other-trial", 3, 10, "en", 1, (), "Witness testifies at trial of Gyumri official Artur Melikyan",
     "A builder testified at the bribery trial of Gyumri official Artur Melikyan; the hearing goes on next week."),
    ("gas-talks", 27, 10, "en", 0, ("grigoryan",), "Gazprom Armenia price talks begin in Moscow",
     "Mher Grigoryan opened talks with Gazprom in Moscow on the price of gas for Armenia next year."),
    ("gas-talks", 27, 9, "ru", 0, ("grigoryan",), "Григорян начал в Москве переговоры с Газпромом",
     "Мгер Григорян начал переговоры с Газпромом о цене газа для Армении на следующий год."),
    ("gas-talks", 23, 10, "en", 1, ("grigoryan",), "Gazprom offers Armenia a lower gas price",
     "Gazprom offered a lower price of gas for Armenia at the talks with Mher Grigoryan in Moscow."),
    ("gas-talks", 19, 10, "en", 0, ("grigoryan",), "Armenia and Gazprom agree on gas price",
     "Mher Grigoryan and Gazprom agreed in Moscow on the price of gas for Armenia next year."),
]
DECOYS: list[_Plant] = [
    (None, 7, 10, "en", 0, ("grigoryan",), "Grigoryan chairs trade commission in Moscow",
     "Mher Grigoryan chaired the intergovernmental commission on trade with Russia in Moscow."),
    (None, 6, 10, "en", 1, ("kocharyan",), "Kocharyan says the court system needs reform",
     "Robert Kocharyan told supporters that the court system needed a reform of its judges."),
]

# The noise: a person does something about a topic somewhere, with a detail; words of the plants among them.
_VERBS = {
    "en": ["discusses", "criticises", "praises", "comments on", "speaks about", "questions", "defends", "visits"],
    "ru": ["обсудил", "раскритиковал", "похвалил", "прокомментировал", "говорил о", "оспорил", "защитил", "посетил"],
    "hy": ["քննարկել է", "քննադատել է", "գովել է", "մեկնաբանել է", "խոսել է", "վիճարկել է", "պաշտպանել է",
           "այցելել է"],
}
_QUALIFIERS = [  # (en, ru, hy): with a subject below, what the item is about
    ("new", "новые", "նոր"), ("rural", "сельские", "գյուղական"), ("private", "частные", "մասնավոր"),
    ("state", "государственные", "պետական"), ("regional", "областные", "մարզային"), ("foreign", "иностранные", "օտարերկրյա"),
    ("local", "местные", "տեղական"), ("digital", "цифровые", "թվային"), ("youth", "молодёжные", "երիտասարդական"),
    ("winter", "зимние", "ձմեռային"), ("small", "малые", "փոքր"), ("public", "публичные", "հանրային"),
    ("green", "зелёные", "կանաչ"), ("cheap", "дешёвые", "էժան"), ("mountain", "горные", "լեռնային"),
    ("border", "пограничные", "սահմանային"), ("court", "судебные", "դատական"), ("family", "семейные", "ընտանեկան"),
]
_SUBJECTS = [
    ("schools", "школы", "դպրոցներ"), ("roads", "дороги", "ճանապարհներ"), ("hospitals", "больницы", "հիվանդանոցներ"),
    ("taxes", "налоги", "հարկեր"), ("pensions", "пенсии", "կենսաթոշակներ"), ("farms", "фермы", "ֆերմաներ"),
    ("mines", "рудники", "հանքեր"), ("banks", "банки", "բանկեր"), ("factories", "заводы", "գործարաններ"),
    ("museums", "музеи", "թանգարաններ"), ("buses", "автобусы", "ավտոբուսներ"), ("loans", "кредиты", "վարկեր"),
    ("exports", "экспорт", "արտահանում"), ("wages", "зарплаты", "աշխատավարձեր"), ("elections", "выборы", "ընտրություններ"),
    ("commissions", "комиссии", "հանձնաժողովներ"), ("theatres", "театры", "թատրոններ"), ("airports", "аэропорты", "օդանավակայաններ"),
    ("bridges", "мосты", "կամուրջներ"), ("parks", "парки", "այգիներ"), ("markets", "рынки", "շուկաներ"),
    ("universities", "университеты", "համալսարաններ"), ("reforms", "реформы", "բարեփոխումներ"), ("courts", "суды", "դատարաններ"),
]
_PLACES = [  # (en, ru, hy)
    ("Gyumri", "Гюмри", "Գյումրի"), ("Vanadzor", "Ванадзоре", "Վանաձոր"), ("Yerevan", "Ереване", "Երևան"),
    ("Baku", "Баку", "Բաքու"), ("Ganja", "Гяндже", "Գանձակ"), ("Moscow", "Москве", "Մոսկվա"), ("Dilijan", "Дилижане", "Դիլիջան"),
    ("Goris", "Горисе", "Գորիս"), ("Sisian", "Сисиане", "Սիսիան"), ("Sumgait", "Сумгаите", "Սումգայիթ"),
    ("Sevan", "Севане", "Սևան"), ("Ashtarak", "Аштараке", "Աշտարակ"), ("Kapan", "Капане", "Կապան"),
    ("Shaki", "Шеки", "Շաքի"), ("Lankaran", "Ленкорани", "Լենքորան"), ("Armavir", "Армавире", "Արմավիր"),
]
_DETAILS = {
    "en": "said deputy {name}", "ru": "сообщил депутат {name}", "hy": "հայտնել է պատգամավոր {name}",
}
# Two hundred surnames, each named now and then (a name is the bridge between languages, so a rare one).
_SURNAMES = [f"{first}{second}yan" for first in ("Avag", "Bagh", "Chil", "Dani", "Egia", "Gals", "Hako", "Isra", "Kara",
                                                   "Lado", "Manu", "Ners", "Ogan", "Petr", "Rost", "Saha", "Tade",
                                                   "Vard", "Yegh", "Zaka")
             for second in ("ab", "ed", "ik", "om", "un", "ry", "st", "lv", "gz", "ch")]
_NOISE_PEOPLE = ["pashinyan", "pashinyan", "pashinyan", "kocharyan", "kocharyan", "aliyev", "aliyev", "grigoryan",
                 "mustafayev", None]


def news(end: datetime, *, days: int = 35, noise: int = 30, seed: int = 7) -> list[NewsItem]:
    """``days`` of news dated back from ``end``: the plants, the decoys and ``noise`` unplanted items a day; oldest
    first, ids in that order."""
    rng = random.Random(seed)
    drafts: list[tuple[datetime, str, str, str, str, frozenset[str], str | None]] = []
    for plant, ago, hours, language, outlet, entries, title, lead in (*PLANTS, *DECOYS):
        drafts.append((end - ago * DAY - timedelta(hours=hours), OUTLETS[language][outlet], language, title, lead,
                       frozenset(entries), plant))
    said: dict[str, list[tuple[int, tuple[int, int, int, int]]]] = {}
    for ago in range(days):
        for _ in range(noise):
            language = rng.choice(("en", "en", "ru", "hy"))
            person = rng.choice(_NOISE_PEOPLE)
            column = ("en", "ru", "hy").index(language)
            # Unplanted means unrelated: within eight days, two items in one language share at most one of what
            # was done, its qualifier, its subject and the deputy quoted.
            recent = [told for when, told in said.get(language, []) if ago - when <= 8]
            while True:
                told = (rng.randrange(len(_VERBS[language])), rng.randrange(len(_QUALIFIERS)),
                        rng.randrange(len(_SUBJECTS)), rng.randrange(len(_SURNAMES)))
                if all(sum(a == b for a, b in zip(told, other, strict=True)) <= 1 for other in recent):
                    break
            said.setdefault(language, []).append((ago, told))
            verb = _VERBS[language][told[0]]
            topic = f"{_QUALIFIERS[told[1]][column]} {_SUBJECTS[told[2]][column]}"
            surname = _SURNAMES[told[3]]
            place = rng.choice(_PLACES)[column]
            who = PEOPLE[person][language] if person else {"en": "The mayor", "ru": "Мэр", "hy": "Քաղաքապետը"}[language]
            title = f"{who.split()[-1] if person else who} {verb} {topic}"
            lead = f"{who} {verb} {topic} in {place}, {_DETAILS[language].format(name=surname)}." if language == "en" \
                else f"{who} {verb} {topic} ({place}), {_DETAILS[language].format(name=surname)}."
            drafts.append((end - ago * DAY - timedelta(hours=rng.uniform(0.2, 23.8)), rng.choice(OUTLETS[language]),
                           language, title, lead, frozenset({person} if person else ()), None))
    drafts.sort(key=lambda d: (d[0], d[3]))
    return [NewsItem(item_id=n, published=published, outlet=outlet, language=language, title=title, lead=lead,
                     link=f"https://{_slug(outlet)}.example/news/{n}", entries=entries, plant=plant)
            for n, (published, outlet, language, title, lead, entries, plant) in enumerate(drafts, start=1)]


def story_items(items: list[NewsItem]) -> list[StoryItem]:
    """The items as storylines read them."""
    return [StoryItem(item_id=i.item_id, title=i.title, outlet=i.outlet, published=i.published, link=i.link,
                      entries=i.entries, language=i.language, lead=i.lead) for i in items]


def mentioned_items(items: list[NewsItem]) -> list[MentionedItem]:
    """The items as the store gives them to a digest: each watched entry a mention where its name is written."""
    out = []
    for i in items:
        mentions: list[Mention] = []
        for entry in sorted(i.entries):
            name = PEOPLE[entry][i.language]
            surname = name.split()[-1][:5]
            where: Field = "title" if surname in i.title else "text"
            text = i.title if where == "title" else i.lead
            start = max(text.find(surname), 0)
            snippet = text.replace(name, f"[[{name}]]") if name in text else text
            mentions.append(Mention(i.item_id, entry, where, start, i.item_id * 10 + len(mentions), snippet))
        out.append(MentionedItem(id=i.item_id, source=_slug(i.outlet), title=i.title, link=i.link,
                                 published=i.published, mentions=tuple(mentions), language=i.language,
                                 text=i.lead))
    return out


def outlet_names() -> dict[str, str]:
    """Source name -> the outlet's display name."""
    return {_slug(o): o for names in OUTLETS.values() for o in names}


def _slug(outlet: str) -> str:
    return {"Кавказская лента": "kavkaz-lenta", "Вестник Кавказа": "vestnik-kavkaza", "Լրատու": "lratu",
            "Արմլուր": "armlur"}.get(outlet, outlet.lower().replace(" ", "-"))
