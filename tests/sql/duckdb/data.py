"""The fixture: a small GA4 property over 2025-06-30 .. 2025-07-07, in two phases.

Phase 1 is what the export holds at the first run: daily shards 20250630 .. 20250704 and the
intraday shard of 2025-07-04, which overlaps the daily one (copies of events that are also in the
daily shard). Phase 2 arrives before the second run: daily shards 20250705 .. 20250707, the
intraday shard of 2025-07-06 (copies, plus events the daily shard does not have yet) and of
2025-07-07, and late events written into older shards, some inside and some outside the
lookback of each table. The window of the test projects is 2025-07-01 .. 2025-07-06, so the
shards of 06-30 and 07-07 must never be read.

Params carry values in every one of the four value columns, odd keys (quotes, backslash, newline,
a backtick with SQL after it, a comment), keys repeated within one event, and keys that differ
only in case. Every STRUCT field is named (the rows are JSON objects).
"""

from __future__ import annotations

import datetime as dt

from ga4 import UTC, copy_of, event, item, param, user_prop

# Late events are placed relative to each event's phase-1 watermark; these are the lookbacks of
# the incremental test project (bqflat.yaml `lookback: 1d`, level_up `6h`).
LOOKBACK = {"page_view": dt.timedelta(days=1), "purchase": dt.timedelta(days=1), "sign_up": dt.timedelta(days=1),
            "login": dt.timedelta(days=1), "level_up": dt.timedelta(hours=6)}

ODD_KEYS = {
    "quote": "it's \"quoted\"",
    "backslash": "back\\slash",
    "newline": "new\nline",
    "injected": "x`; DROP TABLE t; --",
    "comment": "/* c */",
}


def at(day: int, h: int, m: int = 0, s: int = 0, month: int = 7) -> dt.datetime:
    return dt.datetime(2025, month, day, h, m, s, tzinfo=UTC)


def intraday_copy(row: dict) -> dict:
    """A copy of an event as an intraday shard holds it: GA4 lists its params in another order
    (here by key, descending; a stable sort, so repeated keys keep their order)."""
    c = copy_of(row)
    c["event_params"] = sorted(c.get("event_params") or [], key=lambda p: p["key"], reverse=True)
    return c


def shard(ts: dt.datetime) -> str:
    return ts.strftime("%Y%m%d")


USERS = [f"u{i:02d}.{1700000000 + i}" for i in range(1, 10)]


# ---- page_view: every param type, odd keys, user properties ------------------------------------

P_STR = [
    lambda n: [param("p_str", string=f"str-{n}")],
    lambda n: [param("p_str", int_=n)],  # string param with only an int value: its text
    lambda n: [param("p_str", double=2.5)],  # "2.5"
    lambda n: [param("p_str", float_=3.0)],  # "3"
    lambda n: [],
    lambda n: [param("p_str", string="first"), param("p_str", string="second")],  # first wins
    lambda n: [param("P_STR", string="upper")],  # keys match exactly: NULL
]
P_INT = [
    lambda n: [param("p_int", int_=n * 7)],
    lambda n: [param("p_int", string="42")],  # NULL
    lambda n: [],
    lambda n: [param("p_int", int_=0)],
    lambda n: [param("p_int", int_=-5)],
    lambda n: [param("p_int", int_=9007199254740993)],  # above 2^53
    lambda n: [param("p_int", double=12.0)],  # an integral double: 12
    lambda n: [param("p_int", double=2.5)],  # not integral: NULL
    lambda n: [param("p_int", float_=-3.0)],  # an integral float: -3
    lambda n: [param("p_int", double=1e19)],  # beyond INT64: NULL
]
P_F64 = [
    lambda n: [param("p_f64", double=n + 0.5)],
    lambda n: [param("p_f64", float_=0.25)],  # float value when no double value
    lambda n: [param("p_f64", double=1.75, float_=9.5)],  # double wins
    lambda n: [],
    lambda n: [param("p_f64", int_=3)],  # an int: 3.0
    lambda n: [param("p_f64", int_=-n)],
]
P_BOOL = [
    lambda n: [param("p_bool", int_=0)],
    lambda n: [param("p_bool", int_=7)],
    lambda n: [param("p_bool", string="Yes")],
    lambda n: [param("p_bool", string="no")],
    lambda n: [param("p_bool", string="1")],
    lambda n: [param("p_bool", string="FALSE")],
    lambda n: [param("p_bool", string="maybe")],  # NULL
    lambda n: [param("p_bool", double=1.0)],  # NULL: only int and string values count
    lambda n: [],
    lambda n: [param("p_bool", string="true")],
    lambda n: [param("p_bool", string="0")],
]
P_NUM = [
    lambda n: [param("p_num", int_=3)],
    lambda n: [param("p_num", int_=n * 2)],
    lambda n: [param("p_num", double=2.5)],
    lambda n: [param("p_num", float_=0.125)],
    lambda n: [param("p_num", string="3.5")],  # NULL
    lambda n: [],
]
P_ANY = [
    lambda n: [param("p_any", string=f"any-{n}")],
    lambda n: [param("p_any", int_=12)],
    lambda n: [param("p_any", double=1.5)],
    lambda n: [param("p_any", float_=0.375)],
    lambda n: [],
    lambda n: [param("p_any", string="")],
    lambda n: [param("p_any", int_=-40)],
]


# page_location values for README "Page URLs": ports, userinfo and upper case in hosts, no
# scheme, repeated, blank, percent-encoded (UTF-8, invalid UTF-8, `%zz`, a lone `%4`, an encoded
# name) and `+`
# values, fragments, and the excluded `email` and `token` first, in the middle, last and twice.
PAGE_URLS = [
    lambda n: f"https://shop.example/p/{n}?q='x'",
    lambda n: "https://Shop.EXAMPLE:8443/Cart/?utm_source=news+letter&utm_medium=email&utm_source=second#utm_campaign=frag",
    lambda n: f"https://user:pw@www.example.com/a%20b/{n}?utm_source=caf%C3%A9%20%E2%82%AC&email=a%40b.c&page={n}",
    lambda n: "www.example.com/landing?utm_source=bare&utm_medium=%zz%4&token=abc",
    lambda n: "/relative/path?email=x%40y.z&utm_source=rel&price=12.50&debug=TRUE",
    lambda n: "https://example.com?gclid=Cj0%FFKCQ&email=one&email=two",
    lambda n: "https://example.com/only?email=gone#section-2",
    lambda n: "https://example.com/e?utm_source=&utm_medium&page=-7&price=1e3&debug=no",
    lambda n: "https://example.com/f?page=9999999999999999999&price=abc&debug=maybe&utm%5Fsource=encoded-name",
    lambda n: "HTTPS://EXAMPLE.ORG:80/Up?Utm_Source=case",
    lambda n: None,
    lambda n: "https://example.com/%E2%82%AC/x?q=%2Bplus%2B+space&utm_source=a%26b%3Dc&token=t#frag?email=kept",
]
# page_referrer: none on every fourth page view.
REFERRERS = [
    lambda n: "https://ref.example/",
    lambda n: "http://Search.Example.COM:8080/search?q=shoes&token=t1#top",
    lambda n: "android-app://com.google.android.gm/",
    lambda n: "//cdn.example.net/path?email=e&x=1",
]


def page_view(ts: dt.datetime, n: int, **kw) -> dict:
    params = [
        param("page_location", string=PAGE_URLS[n % len(PAGE_URLS)](n)),
        param("page_title", string=f"Page \"{n}\" \\ ok"),
        param("page_referrer", string=None if n % 4 == 0 else REFERRERS[n // 4 % len(REFERRERS)](n)),
        param("ga_session_id", int_=1751000000 + n),
        param("ga_session_number", int_=n % 5 + 1),
        param("engagement_time_msec", int_=100 * n),
        param("session_engaged", string="1" if n % 2 else "0"),
    ]
    if n % 3 == 0:
        params.append(param("entrances", int_=1))
    for group in (P_STR, P_INT, P_F64, P_BOOL, P_NUM, P_ANY):
        params.extend(group[n % len(group)](n))
    params.append(param(ODD_KEYS["quote"], string=f"q{n}"))
    if n % 2:
        params.append(param(ODD_KEYS["backslash"], int_=n))
    params.append(param(ODD_KEYS["newline"], string="line\nbreak" if n % 3 else "tab\there"))
    params.append(param(ODD_KEYS["injected"], string="'; DROP TABLE x; --"))
    params.append(param(ODD_KEYS["comment"], string="*/ not a comment"))
    if n % 2 == 0:
        params.append(param("1st_visit", int_=1))
    params.append(param("café", string="crème"))
    # A rotation, so "first entry wins" is not always the earliest position.
    r = n % len(params)
    params = params[r:] + params[:r]
    ups = []
    if n % 3 != 2:
        ups.append(user_prop("customer_tier", string=["gold", "silver", "bronze"][n % 3], set_at=1751000000000000 + n))
    ups.append(user_prop("lifetime_orders", int_=n % 4))
    if n % 2:
        ups.append(user_prop("ltv", double=n * 1.25 + 0.5))
    ups.append(user_prop("cohort", string=f"2025-W{n % 4 + 26}") if n % 2 else user_prop("cohort", int_=202527))
    ups.append(user_prop("customer_tier", string="shadowed"))  # repeated key: first wins
    kw.setdefault("user_id", None if n % 3 == 0 else f"user-{n}")
    return event("page_view", ts, USERS[n % len(USERS)], params, user_properties=ups,
                 device={"category": ["desktop", "mobile", "tablet"][n % 3], "operating_system": ["Linux", "iOS", "Android"][n % 3]},
                 geo={"country": ["Germany", "France", "Japan", "Brazil"][n % 4]},
                 traffic_source={"source": ["google", "(direct)", "newsletter"][n % 3], "medium": ["organic", "(none)", "email"][n % 3]},
                 **kw)


# ---- purchase: items with item_params ------------------------------------------------------------

SIZE = [lambda n: [param("size", string=["S", "M", "L"][n % 3])], lambda n: [param("size", int_=42)], lambda n: []]
GIFT = [lambda n: [param("is_gift", int_=1)], lambda n: [param("is_gift", int_=0)], lambda n: [param("is_gift", string="yes")],
        lambda n: [param("is_gift", string="No")], lambda n: [param("is_gift", string="maybe")], lambda n: []]
WEIGHT = [lambda n: [param("weight", int_=2)], lambda n: [param("weight", double=0.75)], lambda n: [param("weight", float_=1.5)],
          lambda n: [param("weight", double=3.25, float_=8.0)], lambda n: []]
PACK = [lambda n: [param("pack", int_=n % 3 + 1)], lambda n: [param("pack", string="6")], lambda n: [],
        lambda n: [param("pack", double=4.0)], lambda n: [param("pack", double=1.5)]]  # 4; not integral: NULL
LABEL = [lambda n: [param("label", string="new")], lambda n: [param("label", int_=7)], lambda n: [param("label", double=2.5)],
         lambda n: [param("label", float_=0.5)], lambda n: []]


def an_item(n: int, k: int) -> dict:
    m = n * 3 + k
    iparams = []
    for group in (SIZE, GIFT, WEIGHT, PACK, LABEL):
        iparams.extend(group[m % len(group)](m))
    if m % 4 == 0:
        iparams.append(param("size", string="XXL"))  # repeated key: the first entry wins
    return item(
        item_id=f"SKU-{m:03d}", item_name=f"Item {m}", item_brand=["Acme", "Globex", None][m % 3],
        item_category=["Shoes", "Hats"][m % 2], item_variant=None if m % 2 else "blue",
        price=10.0 + m + 0.99, quantity=m % 3 + 1, item_revenue=(10.0 + m + 0.99) * (m % 3 + 1),
        coupon="SUMMER" if m % 5 == 0 else None, item_params=iparams,
    )


def purchase(ts: dt.datetime, n: int, n_items: int, **kw) -> dict:
    params = [
        # a transaction id sent as a number now and then: its text
        param("transaction_id", int_=9000 + n) if n % 4 == 3 else param("transaction_id", string=f"T-{n:04d}"),
        param("value", double=n * 10 + 0.5),
        param("currency", string="EUR"),
        param("tax", int_=n) if n % 3 == 0 else param("tax", float_=n + 0.25),  # float64 sent as an int
        param("shipping", int_=n % 2 * 5) if n % 3 else param("shipping", double=4.5),
        param("coupon", string="WELCOME" if n % 2 else None),
        param("ga_session_id", int_=1751000000 + n),
    ]
    items = [an_item(n, k) for k in range(n_items)]
    return event("purchase", ts, USERS[(n + 2) % len(USERS)], params,
                 user_properties=[user_prop("customer_tier", string=["gold", "silver"][n % 2])],
                 items=items, user_id=f"user-{n}",
                 ecommerce={"purchase_revenue_in_usd": n * 11 + 0.5, "transaction_id": f"T-{n:04d}", "total_item_quantity": n_items},
                 **kw)


# ---- sign_up / login: dedupe on the `event_id` param ------------------------------------------


def keyed(name: str, ts: dt.datetime, user: int, event_id, method: str, **kw) -> dict:
    params = [param("method", string=method), param("ga_session_id", int_=1751000000 + user),
              param("page_location", string="https://shop.example/signup")]
    if isinstance(event_id, int):
        params.insert(1, param("event_id", int_=event_id))
    elif event_id is not None:
        params.insert(1, param("event_id", string=event_id))
    ups = [user_prop("signup_cohort", string=f"c{user % 3}")]
    return event(name, ts, USERS[user % len(USERS)], params, user_properties=ups, platform="ANDROID" if user % 2 else "WEB", **kw)


# ---- level_up: time zone and daily batches --------------------------------------------------------


def level_up(ts: dt.datetime, n: int, **kw) -> dict:
    params = [param("level", int_=n), param("character", string=["mage", "rogue", "knight"][n % 3]),
              param("score", int_=n * 100) if n % 2 else param("score", double=n * 100 + 0.5),
              param("level-name", string=f"World {n}")]
    return event("level_up", ts, USERS[n % len(USERS)], params, platform=["IOS", "ANDROID"][n % 2],
                 app_info={"id": "com.acme.game", "version": f"2.{n % 3}.0"},
                 device={"category": "mobile", "operating_system": ["iOS", "Android"][n % 2]}, **kw)


# ---- the two phases --------------------------------------------------------------------------------


def phase1() -> dict[str, list[dict]]:
    s: dict[str, list[dict]] = {}

    def put(row: dict, suffix: str | None = None) -> dict:
        s.setdefault(suffix or row["event_date"], []).append(row)
        return row

    # Outside the window (before its start).
    put(page_view(at(30, 12, month=6), 900))
    put(purchase(at(30, 12, month=6), 900, 1))
    put(level_up(at(30, 12, month=6), 900))
    put(keyed("sign_up", at(30, 12, month=6), 1, "E0", "email"))
    put(keyed("login", at(30, 12, month=6), 1, "E0", "email"))

    n = 0
    for d in range(1, 5):
        pvs = []
        for h, m in ((8, d), (14, 2 * d), (20, 3 * d)):
            n += 1
            pvs.append(put(page_view(at(d, h, m), n)))
        orders = [put(purchase(at(d, 10, 5), d * 10 + 1, 3)), put(purchase(at(d, 19, 40), d * 10 + 2, 0 if d == 2 else 1))]
        lus = [put(level_up(at(d, 12), d)), put(level_up(at(d, 23, 30), d + 10))]
        if d == 2:
            put(copy_of(pvs[1]))  # exact duplicates inside one daily shard
            put(copy_of(lus[0]))
        if d == 3:
            put(copy_of(orders[0]))
        if d == 4:
            # The intraday shard of 07-04 overlaps the daily one.
            for r in (pvs[1], pvs[2], orders[1], lus[1]):
                put(intraday_copy(r), "intraday_20250704")

    for name in ("sign_up", "login"):
        put(keyed(name, at(1, 9), 1, "E1", "email"))
        put(keyed(name, at(2, 11), 1, "E1", "google"))  # a later event with the same event_id
        put(keyed(name, at(2, 13), 2, 123, "apple"))  # event_id as an int value ...
        put(keyed(name, at(3, 15), 2, "123", "email"))  # ... and as a string: one key '123'
        put(keyed(name, at(1, 12), 3, None, "email"))  # no event_id: each its own row
        put(keyed(name, at(2, 12), 4, None, "email"))
        put(keyed(name, at(2, 12), 5, None, "google"))
        k8 = put(keyed(name, at(3, 16), 6, None, "email"))
        put(copy_of(k8))  # exact duplicate without event_id: one row
        put(keyed(name, at(4, 20, 30), 7, "E9", "email"))
        k10 = put(keyed(name, at(4, 18), 8, None, "apple"))
        put(intraday_copy(k10), "intraday_20250704")
    return s


def watermark(shards: dict[str, list[dict]], name: str, first: str = "20250701", last: str = "20250706") -> dt.datetime:
    best = None
    for suffix, rows in shards.items():
        d = suffix.replace("intraday_", "")
        if not (first <= d <= last):
            continue
        for r in rows:
            if r["event_name"] == name:
                ts = dt.datetime(1970, 1, 1, tzinfo=UTC) + dt.timedelta(microseconds=r["event_timestamp"])
                best = ts if best is None or ts > best else best
    return best


def phase2(p1: dict[str, list[dict]]) -> tuple[dict[str, list[dict]], dict[str, dict[str, list[dict]]]]:
    """Rows to append (shard -> rows), and per event the late rows inside / outside the lookback
    of the incremental test project."""
    s: dict[str, list[dict]] = {}
    late: dict[str, dict[str, list[dict]]] = {}

    def put(row: dict, suffix: str | None = None) -> dict:
        s.setdefault(suffix or row["event_date"], []).append(row)
        return row

    def late_row(kind: str, name: str, row: dict) -> None:
        late.setdefault(name, {"inside": [], "outside": []})[kind].append(put(row))

    n = 100
    for d in range(5, 8):
        pvs = []
        for h, m in ((8, d), (14, 2 * d), (20, 3 * d)):
            n += 1
            pvs.append(put(page_view(at(d, h, m), n)))
        orders = [put(purchase(at(d, 10, 5), d * 10 + 1, 2)), put(purchase(at(d, 19, 40), d * 10 + 2, 1))]
        lus = [put(level_up(at(d, 12), d)), put(level_up(at(d, 23, 30), d + 10))]
        if d == 6:
            put(intraday_copy(pvs[0]), "intraday_20250706")
            put(intraday_copy(orders[1]), "intraday_20250706")
            put(intraday_copy(lus[0]), "intraday_20250706")
            # Events only the intraday shard has so far.
            put(page_view(at(6, 22, 15), 190), "intraday_20250706")
            put(purchase(at(6, 22, 20), 190, 2), "intraday_20250706")
            put(level_up(at(6, 22, 25), 190), "intraday_20250706")
        if d == 7:
            put(page_view(at(7, 1), 191), "intraday_20250707")  # outside the window

    for name in ("sign_up", "login"):
        put(keyed(name, at(5, 9), 7, "E9", "google"))  # E9 again, later
        put(keyed(name, at(5, 10), 1, "E12", "email"))
        put(keyed(name, at(6, 10), 2, "E12", "apple"))
        k14 = put(keyed(name, at(6, 8), 3, None, "email"))
        put(copy_of(k14))

    # Late events, relative to each event's phase-1 watermark W and the project's lookback L:
    # inside (event time >= W - L) they are picked up, outside they are not.
    makers = {
        "page_view": lambda ts, k: page_view(ts, 150 + k),
        "purchase": lambda ts, k: purchase(ts, 150 + k, 2),
        "level_up": lambda ts, k: level_up(ts, 150 + k),
        "sign_up": lambda ts, k: keyed("sign_up", ts, 4 + k, f"L{k}" if k % 2 else None, "late"),
        "login": lambda ts, k: keyed("login", ts, 4 + k, f"L{k}" if k % 2 else None, "late"),
    }
    for name, make in makers.items():
        w = watermark(p1, name)
        lb = LOOKBACK[name]
        inside = [w - lb / 2, w - lb + dt.timedelta(minutes=30)]  # the second one in an older shard for 1d
        outside = [w - lb - dt.timedelta(hours=2), at(1, 15)]  # a shard that is read / one that is not
        for k, ts in enumerate(inside):
            late_row("inside", name, make(ts.replace(second=7), k))
        for k, ts in enumerate(outside):
            late_row("outside", name, make(ts.replace(second=9), k + 2))
    return s, late


def all_shards() -> dict[str, list[dict]]:
    p1 = phase1()
    p2, _ = phase2(p1)
    out = {k: list(v) for k, v in p1.items()}
    for k, v in p2.items():
        out.setdefault(k, []).extend(v)
    return out
