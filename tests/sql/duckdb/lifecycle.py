"""The full-rebuild model, and the export states of the lifecycle scenarios.

The model is the reference the invariant is stated against ("after every run, an incremental
table equals what a full rebuild over the export as it is now would give"), computed in plain
Python from the export state (shard suffix -> rows) and the table's spec, as the README's "What the generated scripts do"
says a full rebuild reads them:

- shard kinds: `events_YYYYMMDD` (daily), `events_intraday_YYYYMMDD`, `events_fresh_YYYYMMDD`;
  the shard day is the date in the name;
- for each shard day inside the window [start, end] (inclusive) the table reads exactly one
  shard: the first kind of the spec's `shards` list (precedence order) that exists for that day
  (an existing shard with no rows still counts: it is the one chosen);
- every row of the event in the chosen shards, whatever its partition day (a 2031 timestamp in
  the shard of 2025-07-03 is read), flattened by expected.py's rules (params, types, explode);
- one dedupe over the whole table by the spec's key and strategy (keep_first: smallest
  `order_by`, keep_latest: greatest), rows with a NULL key part told apart by their event
  (expected.dedupe).

It uses expected.py's spec reading, flattening and typing; nothing here looks at the templates or
at what a run did. The incremental mechanics (lookback days, watermarks) are not modelled: the
scenarios only change the export within the lookback of the table's newest day, where the
invariant promises equality.
"""

from __future__ import annotations

import copy
import datetime as dt
import re

import expected as X
import ga4

KIND_PREFIX = {"daily": "", "intraday": "intraday_", "fresh": "fresh_"}
_SUFFIX = re.compile(r"(intraday_|fresh_)?(\d{8})")


def parse_suffix(suffix: str) -> tuple[str, dt.date] | None:
    """A shard's kind and shard day, or None for a table that is no shard."""
    m = _SUFFIX.fullmatch(suffix)
    if not m:
        return None
    kind = {None: "daily", "intraday_": "intraday", "fresh_": "fresh"}[m.group(1)]
    return kind, dt.datetime.strptime(m.group(2), "%Y%m%d").date()


def chosen_shards(t: X.Table, shards: dict[str, list[dict]], today: dt.date | None = None) -> dict[dt.date, str]:
    """Shard day -> the suffix of the one shard a full rebuild reads for it (expected.py's)."""
    return X.chosen_shards(t, shards, today)


def full_rebuild(t: X.Table, shards: dict[str, list[dict]], today: dt.date | None = None) -> list[dict]:
    flat = []
    for day, suffix in sorted(chosen_shards(t, shards, today).items()):
        for row in shards[suffix]:
            if row["event_name"] == t.event:
                flat.extend(X.flatten_event(t, row))
    return X.dedupe(t, flat)


# --------------------------------------------------------------------------------------------
# Export states of the scenarios. Every builder takes the event names it writes rows for (the
# scenario's tables read the same pattern under their own event names) and returns states:
# dicts shard suffix -> rows, the export as a run sees it.

UTC = dt.timezone.utc


def at(day: int, h: int, m: int = 0, month: int = 7, year: int = 2025) -> dt.datetime:
    return dt.datetime(year, month, day, h, m, tzinfo=UTC)


def sfx(day: int, kind: str = "daily") -> str:
    return KIND_PREFIX[kind] + f"202507{day:02d}"


def ev(name: str, ts: dt.datetime, user: str, params: list[dict] | None = None, *, shard_day: int | None = None, **kw) -> dict:
    shard_date = dt.date(2025, 7, shard_day) if shard_day is not None else None
    return ga4.event(name, ts, user, params, shard_date=shard_date, **kw)


def merged(*states: dict[str, list[dict]]) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for s in states:
        for k, v in s.items():
            out.setdefault(k, []).extend(copy.deepcopy(v))
    return out


NO_TRAFFIC = {"source": None, "medium": None, "name": None}


def intraday_then_daily(names: list[str]) -> dict:
    """(i) Days 07-01, 07-02 daily; 07-03 first only as intraday (no attribution), then its daily
    shard lands: the same events with params in another order and traffic fields filled, one
    event (spam) dropped, one event the intraday shard never had; intraday 07-04 meanwhile."""
    p1 = lambda page, n, v: [ga4.param("page", string=page), ga4.param("n", int_=n), ga4.param("v", double=v)]  # noqa: E731
    s1, daily3, intra3, intra4 = {}, {}, {}, {}
    for name in names:
        s1.setdefault(sfx(1), []).extend([ev(name, at(1, 9), "u1", p1("/a", 1, 1.5)), ev(name, at(1, 15), "u2", p1("/b", 2, 2.5))])
        s1.setdefault(sfx(2), []).extend([ev(name, at(2, 10), "u1", p1("/c", 3, 3.5)), ev(name, at(2, 22), "u3", p1("/d", 4, 4.5))])
        a = ev(name, at(3, 8), "u1", p1("/home", 5, 0.5), traffic_source=NO_TRAFFIC)
        b = ev(name, at(3, 11), "u2", p1("/cart", 6, 1.0), traffic_source=NO_TRAFFIC)
        spam = ev(name, at(3, 12), "bot", p1("/spam", 7, 9.0), traffic_source=NO_TRAFFIC)
        intra3.setdefault(sfx(3, "intraday"), []).extend([a, b, spam])
        da, db = ga4.copy_of(a), ga4.copy_of(b)
        for d, src in ((da, "newsletter"), (db, "google")):
            d["event_params"] = list(reversed(d["event_params"]))  # daily processing orders params differently
            d["traffic_source"] = {"source": src, "medium": "email" if src == "newsletter" else "cpc", "name": "summer"}
            d["session_traffic_source_last_click"] = {"manual_campaign": {"source": src, "medium": "email"}}
        late = ev(name, at(3, 23, 50), "u4", p1("/late", 8, 8.5))
        late["session_traffic_source_last_click"] = {"manual_campaign": {"source": "direct"}}
        daily3.setdefault(sfx(3), []).extend([db, da, late])
        intra4.setdefault(sfx(4, "intraday"), []).extend([ev(name, at(4, 7), "u1", p1("/next", 9, 9.5), traffic_source=NO_TRAFFIC)])
    state1 = merged(s1, intra3)
    state2 = merged(s1, intra3, daily3, intra4)  # the daily shard landed, intraday 07-03 still there
    state3 = merged(s1, daily3, intra4)  # ... and then deleted
    return {"state1": state1, "state2": state2, "state3": state3, "daily3": daily3, "intra3": intra3}


def late_event(names: list[str]) -> dict:
    """(ii) Daily 07-01 .. 07-05; then 07-06 lands and daily 07-02 is rewritten with an event at
    07-02 00:30, older than watermark (07-05 20:00) - 72 h, and 07-04 with one inside that bound."""
    s1: dict[str, list[dict]] = {}
    # Sessions: u1 and u2 each have one a day, with the same ga_session_id (two clients, one id);
    # session_engaged arrives as the string "1" (u1) and as an int (u2, 0 on odd days).
    def session(d: int, engaged: dict) -> list[dict]:
        return [ga4.param("ga_session_id", int_=1000 + d), ga4.param("ga_session_number", int_=d), ga4.param("session_engaged", **engaged)]
    for name in names:
        for d in range(1, 6):
            s1.setdefault(sfx(d), []).extend([ev(name, at(d, 8), "u1", [ga4.param("page", string=f"/d{d}")] + session(d, {"string": "1"})),
                                              ev(name, at(d, 20), "u2", [ga4.param("page", string=f"/e{d}")] + session(d, {"int_": d % 2 ^ 1}))])
        # Consent mode: an event sent without analytics consent, and a cookieless ping (no
        # user_pseudo_id, no consent state) on 07-03.
        s1[sfx(3)].extend([ev(name, at(3, 11), "u3", [ga4.param("page", string="/denied")], privacy_info={"analytics_storage": "No", "ads_storage": "No", "uses_transient_token": "No"}),
                           ev(name, at(3, 12), None, [ga4.param("page", string="/cookieless")], privacy_info={"analytics_storage": None, "ads_storage": None, "uses_transient_token": "Yes"})])
    s2 = merged(s1)
    old_late, new_late = {}, {}
    for name in names:
        o = ev(name, at(2, 0, 30), "u9", [ga4.param("page", string="/late-old")])
        n = ev(name, at(4, 23), "u8", [ga4.param("page", string="/late-new")])
        s2[sfx(2)].append(o)
        s2[sfx(4)].append(n)
        s2.setdefault(sfx(6), []).append(ev(name, at(6, 8), "u1", [ga4.param("page", string="/d6")]))
        old_late[name], new_late[name] = o, n
    return {"state1": s1, "state2": s2, "old_late": old_late, "new_late": new_late}


def recurring_keys(names: list[str]) -> dict:
    """(iv) A user on many days (u1 from 07-01, u2 from 07-02), later days adding rows for them
    after their first row is older than the lookback; then a rerun; then more days."""
    page = lambda p: [ga4.param("page", string=p)]  # noqa: E731
    s1, s2, s3 = {}, {}, {}
    for name in names:
        for d in range(1, 6):
            rows = [ev(name, at(d, 9 + d), "u1", page(f"/u1-{d}"))]
            if d >= 2:
                rows.append(ev(name, at(d, 18), "u2", page(f"/u2-{d}")))
            if d == 3:
                rows.append(ev(name, at(d, 6), "u3", page("/u3")))
            s1.setdefault(sfx(d), []).extend(rows)
        s2.setdefault(sfx(6), []).append(ev(name, at(6, 7), "u4", page("/u4")))
        s2.setdefault(sfx(7), []).append(ev(name, at(7, 9), "u1", page("/u1-7")))
        s2.setdefault(sfx(8), []).extend([ev(name, at(8, 9), "u2", page("/u2-8")), ev(name, at(8, 10), "u4", page("/u4-8"))])
        s3.setdefault(sfx(9), []).extend([ev(name, at(9, 9), "u1", page("/u1-9")), ev(name, at(9, 1), "u3", page("/u3-9"))])
    return {"state1": s1, "state2": merged(s1, s2), "state3": merged(s1, s2, s3)}


def transactions(names: list[str]) -> dict:
    """(iv) transaction_id as the dedupe key (keep_first): T1 resent a week later, T5 first as a
    number then as a string, events without a transaction id (told apart by their event)."""
    tx = lambda tid=None, tid_int=None, value=None: (  # noqa: E731
        ([ga4.param("transaction_id", string=tid)] if tid else [])
        + ([ga4.param("transaction_id", int_=tid_int)] if tid_int is not None else [])
        + ([ga4.param("value", int_=value) if isinstance(value, int) else ga4.param("value", double=value)] if value is not None else []))
    s1, s2 = {}, {}
    for name in names:
        s1.setdefault(sfx(1), []).extend([ev(name, at(1, 10), "u1", tx("T1", value=10)), ev(name, at(1, 11), "u2", tx("T2", value=5.5)),
                                          ev(name, at(1, 12), "u3", tx(value=1)), ev(name, at(1, 13), "u3", tx(value=2))])
        for d in range(2, 6):
            s1.setdefault(sfx(d), []).append(ev(name, at(d, 10), f"u{d}", tx(f"T{d + 1}", value=d)))
        s2.setdefault(sfx(8), []).extend([ev(name, at(8, 10), "u1", tx("T1", value=10)),  # resent a week later
                                          ev(name, at(8, 11), "u7", tx(tid_int=12345, value=7)), ev(name, at(8, 12), "u3", tx(value=3))])
        s2.setdefault(sfx(9), []).extend([ev(name, at(9, 10), "u7", tx("12345", value=7.5)), ev(name, at(9, 11), "u2", tx("T2", value=5.5))])
    return {"state1": s1, "state2": merged(s1, s2)}


def batches(names: list[str]) -> dict:
    """(v) A key on every day (u1) and on some (u2, u3): one row per key whatever the batching."""
    page = lambda p: [ga4.param("page", string=p)]  # noqa: E731
    s1, s2 = {}, {}
    for name in names:
        for d in range(1, 5):
            rows = [ev(name, at(d, 12 - d), "u1", page(f"/u1-{d}"))]
            if d % 2 == 0:
                rows.append(ev(name, at(d, 20), "u2", page(f"/u2-{d}")))
            s1.setdefault(sfx(d), []).extend(rows)
        s2.setdefault(sfx(5), []).extend([ev(name, at(5, 1), "u1", page("/u1-5")), ev(name, at(5, 2), "u3", page("/u3-5"))])
        s2.setdefault(sfx(6), []).extend([ev(name, at(6, 1), "u3", page("/u3-6")), ev(name, at(6, 3), "u2", page("/u2-6"))])
    return {"state1": s1, "state2": merged(s1, s2)}


def types(names: list[str]) -> dict:
    """(vi) `value` (float64) and `amount` (number) sent as int on some events and as double (or
    float) on others; `qty` as int and as integral / non-integral double; `transaction_id` as
    string, int and double."""
    P = ga4.param
    num = lambda **v: [P("value", **v), P("amount", **v)]  # noqa: E731
    variants = [
        num(int_=10) + [P("qty", int_=3), P("transaction_id", string="A-1")],
        num(double=2.5) + [P("qty", double=4.0), P("transaction_id", int_=12345)],
        num(float_=0.5) + [P("qty", double=2.5), P("transaction_id", double=7.0)],
        num(int_=-3) + [P("qty", float_=6.0), P("transaction_id", double=0.25)],
        num(double=1e20) + [P("qty", int_=0)],
        [],
    ]
    s1, s2 = {}, {}
    for name in names:
        for d in range(1, 4):
            for i, ps in enumerate(variants):
                s1.setdefault(sfx(d), []).append(ev(name, at(d, 1 + i), f"u{i}", ps))
        s2.setdefault(sfx(4), []).extend([ev(name, at(4, 1), "u1", num(int_=99)), ev(name, at(4, 2), "u2", num(double=0.125))])
    return {"state1": s1, "state2": merged(s1, s2)}


def future_event(names: list[str]) -> dict:
    """(vii) A bad client clock: an event stamped 2031-01-01 in the shard of 07-03 (TIMESTAMP
    partitioning puts it in partition 20310101); late events into 07-03 and 07-04 later."""
    page = lambda p: [ga4.param("page", string=p)]  # noqa: E731
    s1, s2, s3, late = {}, {}, {}, {}
    for name in names:
        for d in range(1, 4):
            s1.setdefault(sfx(d), []).append(ev(name, at(d, 10), "u1", page(f"/d{d}")))
        s1[sfx(3)].append(ev(name, at(1, 0, month=1, year=2031), "clock", page("/2031"), shard_day=3))
        l3 = ev(name, at(3, 5), "u5", page("/late-3"))
        s2.setdefault(sfx(3), []).append(l3)
        s2.setdefault(sfx(4), []).append(ev(name, at(4, 10), "u1", page("/d4")))
        l4 = ev(name, at(4, 2), "u6", page("/late-4"))
        s3.setdefault(sfx(4), []).append(l4)
        s3.setdefault(sfx(5), []).append(ev(name, at(5, 10), "u1", page("/d5")))
        late[name] = [l3, l4]
    return {"state1": s1, "state2": merged(s1, s2), "state3": merged(s1, s2, s3), "late": late}


def source_modes(names: list[str]) -> dict:
    """(viii) Every kind of shard, each row tagged with the kind it was written to (param `copy`):
    daily 07-01, 07-02; intraday 07-02 (a stale copy), 07-03; fresh 07-02 .. 07-04. Then daily
    07-03 lands, intraday 07-04 and fresh 07-05 appear, intraday 07-02 is deleted; then daily
    07-04 lands and intraday 07-03 is deleted."""
    made: dict[tuple, dict] = {}

    def day_rows(name: str, d: int, kind: str, extra: int = 0) -> list[dict]:
        # the same users and times in every kind (tagged with the kind), plus `extra` more; a
        # shard that stays from one state to the next keeps its rows (the same events)
        out = []
        for h in range(8, 10 + extra):
            k = (name, d, kind, h)
            if k not in made:
                made[k] = ev(name, at(d, h), f"u{h}", [ga4.param("copy", string=f"{kind}-{d}")])
            out.append(made[k])
        return out

    states = []
    layout = [
        {(1, "daily"): 0, (2, "daily"): 0, (2, "intraday"): 1, (3, "intraday"): 0, (2, "fresh"): 0, (3, "fresh"): 1, (4, "fresh"): 0},
        {(1, "daily"): 0, (2, "daily"): 0, (3, "daily"): 1, (3, "intraday"): 0, (4, "intraday"): 0,
         (2, "fresh"): 0, (3, "fresh"): 1, (4, "fresh"): 0, (5, "fresh"): 1},
        {(1, "daily"): 0, (2, "daily"): 0, (3, "daily"): 1, (4, "daily"): 2, (4, "intraday"): 0,
         (2, "fresh"): 0, (3, "fresh"): 1, (4, "fresh"): 0, (5, "fresh"): 1},
    ]
    # GA4 deletes an intraday shard once the daily one is complete; an export without daily tables
    # (streaming only, what `shards: [intraday]` is for) keeps them: the intraday-only event keeps
    # every intraday shard it ever had.
    kept = {}
    for lay in layout:
        st: dict[str, list[dict]] = {}
        for (d, kind), extra in lay.items():
            for name in names:
                st.setdefault(sfx(d, kind), []).extend(day_rows(name, d, kind, extra))
        for name in names:
            if name.endswith("_intraday") and "daily" not in name.replace("lc_src_", ""):
                for (d, kind), extra in list(kept.items()):
                    if (d, kind) not in lay:
                        st.setdefault(sfx(d, kind), []).extend(day_rows(name, d, kind, extra))
        kept.update({k: v for k, v in lay.items() if k[1] == "intraday"})
        states.append(st)
    return {"state1": states[0], "state2": states[1], "state3": states[2]}


def vanished_shard(names: list[str]) -> dict:
    """A day inside the lookback whose only shard is deleted (e.g. a table expiration, or an
    intraday shard GA4 dropped while the spec reads intraday only): intraday 07-01 .. 07-03,
    then 07-01 gone. A full rebuild has no rows for 07-01 any more."""
    s1: dict[str, list[dict]] = {}
    for name in names:
        for d in range(1, 4):
            s1.setdefault(sfx(d, "intraday"), []).append(ev(name, at(d, 9), "u1", [ga4.param("copy", string=f"intraday-{d}")]))
    s2 = merged(s1)
    del s2[sfx(1, "intraday")]
    return {"state1": s1, "state2": s2}
