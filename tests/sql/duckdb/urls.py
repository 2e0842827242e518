"""The page URL columns as the README describes them, computed with Python's urllib.parse: the
independent model expected.py compares the generated SQL with."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl, unquote_plus, urlsplit


def host(url: str | None) -> str | None:
    # README "Page URLs": the authority's host, lowercased, without userinfo and port; none
    # without `//`.
    if url is None:
        return None
    return urlsplit(url).hostname or None


def path(url: str | None) -> str | None:
    # README: the path as sent; `/` after an authority with an empty path.
    if url is None:
        return None
    sp = urlsplit(url)
    if sp.path == "" and url_has_authority(url):
        return "/"
    return sp.path or None


def url_has_authority(url: str) -> bool:
    sp = urlsplit(url)
    rest = url[len(sp.scheme) + 1:] if sp.scheme else url
    return rest.startswith("//")


def query_param(url: str | None, key: str, ptype: str) -> Any:
    # README: the first occurrence, decoded as a form value (`+` is a space); `''` without `=`.
    if url is None:
        return None
    for name, value in parse_qsl(urlsplit(url).query, keep_blank_values=True):
        if name == key:
            return typed(value, ptype)
    return None


def typed(v: str, ptype: str) -> Any:
    if ptype == "int64":
        if re.fullmatch(r"[+-]?[0-9]+", v) and -2**63 <= int(v) < 2**63:
            return int(v)
        return None
    if ptype == "float64":
        if re.fullmatch(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?", v):
            return float(v)
        return None
    if ptype == "bool":
        low = v.lower()
        return True if low in ("true", "1", "yes") else False if low in ("false", "0", "no") else None
    return v


def strip(url: str | None, names: list[str]) -> str | None:
    # README "url_exclude_params": every pair whose decoded name is listed goes; the other pairs,
    # their order and the fragment stay as written; `?` goes with the last pair.
    if url is None or not names:
        return url
    query = urlsplit(url).query
    pairs = query.split("&") if "?" in url.split("#", 1)[0] else []
    kept = [p for p in pairs if unquote_plus(p.partition("=")[0]) not in names]
    if len(kept) == len(pairs):
        return url
    head = url[:url.index("?")]
    fragment = "#" + url.split("#", 1)[1] if "#" in url else ""
    return head + ("?" + "&".join(kept) if kept else "") + fragment
