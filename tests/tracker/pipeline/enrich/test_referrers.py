"""Tests for tracker.referrers: referrer -> traffic source, and utm_source aliases."""

from __future__ import annotations

import json
import socket
from typing import Any

import pytest
import tldextract
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from tracker.pipeline.enrich import referrers
from tracker.pipeline.enrich.referrers import (
    DATA_FILE,
    MAX_UTM_SOURCE_LENGTH,
    SOURCE_TYPES,
    ReferrerSource,
    classify_referrer,
    source_from_utm,
    source_type,
)

NONE = ReferrerSource("", "")
PAGE = "www.example.com"

# An oracle independent of the module under test, for the property tests' preconditions.
_PSL = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None, include_psl_private_domains=True)

# The first classification loads the table and the suffix list; don't count it against a deadline.
PROPERTY = settings(deadline=None, max_examples=300)

LABEL = st.from_regex(r"[a-z0-9](?:[a-z0-9-]{0,12}[a-z0-9])?", fullmatch=True)
TLD = st.sampled_from(["com", "org", "net", "de", "co.uk", "com.au", "io", "fr", "nl"])
KNOWN_HOSTS = st.sampled_from(
    ["www.google.de", "news.ycombinator.com", "t.co", "l.facebook.com", "bsky.app", "mail.google.com"]
)


@st.composite
def registrable_domains(draw: st.DrawFn) -> str:
    """A registrable domain such as "abc.co.uk" (never itself a public suffix, never "www.*")."""
    label = draw(LABEL)
    domain = f"{label}.{draw(TLD)}"
    assume(label != "www" and _PSL(domain).top_domain_under_public_suffix == domain)
    return domain


@st.composite
def hostnames(draw: st.DrawFn) -> str:
    """A registrable domain with zero to three extra subdomain labels."""
    subdomains = draw(st.lists(LABEL, max_size=3))
    return ".".join([*subdomains, draw(registrable_domains())])


# --- rules, by example -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("referrer", "expected"),
    [
        ("https://www.google.de/", ReferrerSource("Google", "google.de")),
        ("https://www.google.co.uk/search?q=footfall", ReferrerSource("Google", "google.co.uk")),
        ("https://google.com/", ReferrerSource("Google", "google.com")),
        ("https://news.google.com/articles/x", ReferrerSource("Google", "news.google.com")),
        ("https://news.ycombinator.com/item?id=1", ReferrerSource("Hacker News", "news.ycombinator.com")),
        ("https://t.co/AbC123", ReferrerSource("Twitter", "t.co")),
        ("https://x.com/someone/status/1", ReferrerSource("Twitter", "x.com")),
        ("https://l.facebook.com/l.php?u=https%3A%2F%2Fexample.com", ReferrerSource("Facebook", "l.facebook.com")),
        ("https://lm.facebook.com/", ReferrerSource("Facebook", "lm.facebook.com")),
        ("https://m.facebook.com/", ReferrerSource("Facebook", "m.facebook.com")),
        ("https://fb.me/x", ReferrerSource("Facebook", "fb.me")),
        ("https://l.instagram.com/?u=x", ReferrerSource("Instagram", "l.instagram.com")),
        ("https://lnkd.in/abc", ReferrerSource("LinkedIn", "lnkd.in")),
        ("https://old.reddit.com/r/django/", ReferrerSource("Reddit", "old.reddit.com")),
        ("https://out.reddit.com/t3_x", ReferrerSource("Reddit", "out.reddit.com")),
        ("https://youtu.be/abc", ReferrerSource("YouTube", "youtu.be")),
        ("https://m.youtube.com/watch?v=1", ReferrerSource("YouTube", "m.youtube.com")),
        ("https://search.brave.com/search?q=x", ReferrerSource("Brave Search", "search.brave.com")),
        ("https://duckduckgo.com/", ReferrerSource("DuckDuckGo", "duckduckgo.com")),
        ("https://www.bing.com/", ReferrerSource("Bing", "bing.com")),
        ("https://yandex.com.tr/", ReferrerSource("Yandex", "yandex.com.tr")),
        ("https://search.yahoo.co.jp/", ReferrerSource("Yahoo!", "search.yahoo.co.jp")),
        ("https://chat.openai.com/", ReferrerSource("ChatGPT", "chat.openai.com")),
        ("https://chatgpt.com/", ReferrerSource("ChatGPT", "chatgpt.com")),
        ("https://bsky.app/profile/x", ReferrerSource("Bluesky", "bsky.app")),
        ("https://lobste.rs/s/abc", ReferrerSource("Lobsters", "lobste.rs")),
        ("https://dev.to/someone/post", ReferrerSource("DEV", "dev.to")),
        ("https://en.m.wikipedia.org/wiki/Web_analytics", ReferrerSource("Wikipedia", "en.m.wikipedia.org")),
        ("https://mastodon.social/@someone", ReferrerSource("Mastodon", "mastodon.social")),
        ("https://someone.substack.com/p/post", ReferrerSource("Substack", "someone.substack.com")),
    ],
)
def test_known_referrer_gets_display_name_and_host_without_www(referrer: str, expected: ReferrerSource) -> None:
    """A host from the table maps to its display name; domain is the host without "www."."""
    assert classify_referrer(referrer, PAGE) == expected


@pytest.mark.parametrize(
    ("referrer", "expected_source"),
    [
        ("https://mail.google.com/mail/u/0/", "Gmail"),
        ("https://gemini.google.com/app", "Gemini"),
        ("https://play.google.com/store", "Google Play"),
    ],
)
def test_exact_host_beats_suffix_wildcard(referrer: str, expected_source: str) -> None:
    """An exact host entry wins over the google.* wildcard."""
    assert classify_referrer(referrer, PAGE).source == expected_source


def test_wildcard_label_on_a_private_suffix_is_not_matched() -> None:
    """google.blogspot.com is someone's blog, not Google: wildcards need an ICANN suffix."""
    assert classify_referrer("https://google.blogspot.com/", PAGE) == ReferrerSource(
        "google.blogspot.com", "google.blogspot.com"
    )


@pytest.mark.parametrize(
    ("referrer", "expected"),
    [
        ("https://someblog.net/post/1", ReferrerSource("someblog.net", "someblog.net")),
        ("https://www.someblog.net/", ReferrerSource("someblog.net", "someblog.net")),
        ("https://WWW.SomeBlog.NET./", ReferrerSource("someblog.net", "someblog.net")),
        ("https://user:secret@blog.example.org:8443/x", ReferrerSource("blog.example.org", "blog.example.org")),
        ("http://192.168.0.1:3000/", ReferrerSource("192.168.0.1", "192.168.0.1")),
        ("http://[2001:DB8:0:0::1]:8080/", ReferrerSource("2001:db8::1", "2001:db8::1")),
        ("https://bücher.de/", ReferrerSource("xn--bcher-kva.de", "xn--bcher-kva.de")),
    ],
)
def test_unknown_referrer_uses_host_without_www(referrer: str, expected: ReferrerSource) -> None:
    """A host not in the table is its own source (lower-case, no port, no "www.", IDNA-encoded)."""
    assert classify_referrer(referrer, PAGE) == expected


@pytest.mark.parametrize(
    "referrer",
    [
        "",
        "   ",
        "garbage",
        "javascript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "mailto:someone@example.org",
        "ftp://files.example.org/",
        "file:///etc/passwd",
        "//www.google.com/",
        "http://",
        "https:///path-only",
        "http://[::1",
        "http://[not-an-ip]/",
        "https://exa mple.com/",
        "https://<script>/",
        "https://a..b/",
        "https://./",
        "https://%65xample.com/",
        "http://a\x00b.com/",
        "http://\ud800.com/",
        "http://evil.com\uff03@good.com/",
    ],
)
def test_missing_or_unparsable_referrer_is_none(referrer: str) -> None:
    """Empty, non-http(s), host-less or malformed referrers give ("", "") instead of raising."""
    assert classify_referrer(referrer, PAGE) == NONE


@pytest.mark.parametrize(
    ("referrer", "page_host"),
    [
        ("https://www.example.com/pricing", "www.example.com"),
        ("https://example.com/", "www.example.com"),
        ("https://www.example.com/", "example.com"),
        ("https://blog.example.com/post", "www.example.com"),
        ("https://www.example.com/", "app.example.com"),
        ("http://example.com:8000/", "example.com"),
        ("http://example.com/", "example.com:8000"),
        ("https://WWW.EXAMPLE.COM/", "Example.Com"),
        ("https://example.com./", "example.com"),
        ("https://shop.example.co.uk/", "example.co.uk"),
        ("https://example.com/", "https://www.example.com/"),
        ("http://localhost:8000/", "localhost:8000"),
        ("http://[::1]:8000/", "[::1]:8000"),
        ("https://news.ycombinator.com/", "news.ycombinator.com"),
    ],
)
def test_self_referral_is_none(referrer: str, page_host: str) -> None:
    """Same host or same registrable domain as the page (any case, port, "www.") gives ("", "")."""
    assert classify_referrer(referrer, page_host) == NONE


def test_sites_on_a_shared_hosting_suffix_are_not_self_referrals() -> None:
    """alice.github.io linking to bob.github.io is a referral: github.io is a (private) public suffix."""
    assert classify_referrer("https://alice.github.io/", "bob.github.io") == ReferrerSource(
        "alice.github.io", "alice.github.io"
    )


@pytest.mark.parametrize("page_host", ["", "   ", "[bad", "exa mple.com"])
def test_missing_or_invalid_page_host_skips_the_self_referral_check(page_host: str) -> None:
    """Without a usable page host every referrer is classified normally."""
    assert classify_referrer("https://blog.example.com/", page_host) == ReferrerSource(
        "blog.example.com", "blog.example.com"
    )


@pytest.mark.parametrize(
    ("referrer", "expected"),
    [
        ("android-app://com.google.android.gm", ReferrerSource("Gmail", "")),
        ("android-app://com.google.android.googlequicksearchbox/https/www.google.com", ReferrerSource("Google", "")),
        ("android-app://com.Slack/", ReferrerSource("Slack", "")),
        ("android-app://org.example.unknownapp", NONE),
        ("android-app://", NONE),
    ],
)
def test_android_app_referrer_maps_known_packages_only(referrer: str, expected: ReferrerSource) -> None:
    """android-app:// referrers name a known app (with no domain); unknown apps count as direct."""
    assert classify_referrer(referrer, PAGE) == expected


def test_long_referrer_is_classified_by_its_host() -> None:
    """A 2,000-character referrer (past the memoisation limit) is still classified by host."""
    referrer = "https://www.reddit.com/r/x?" + "q" * 2000
    assert classify_referrer(referrer, PAGE) == ReferrerSource("Reddit", "reddit.com")


def test_classification_does_not_fetch_the_public_suffix_list(monkeypatch: pytest.MonkeyPatch) -> None:
    """With the network unavailable, a fresh extractor still resolves registrable domains."""

    def no_network(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    for cached in (referrers._extractor, referrers._psl_parts, referrers._source_for_host, referrers._classify_host):
        cached.cache_clear()
    referrers._classify_memoised.cache_clear()

    assert classify_referrer("https://news.google.co.uk/", PAGE) == ReferrerSource("Google", "news.google.co.uk")
    assert classify_referrer("https://blog.example.co.uk/", "example.co.uk") == NONE


# --- utm_source ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("utm_source", "expected"),
    [
        ("google", "Google"),
        ("Google", "Google"),
        ("fb", "Facebook"),
        ("FaceBook", "Facebook"),
        ("ig", "Instagram"),
        ("instagram", "Instagram"),
        ("twitter", "Twitter"),
        ("X", "Twitter"),
        ("hn", "Hacker News"),
        ("hackernews", "Hacker News"),
        ("Hacker News", "Hacker News"),
        ("linkedin", "LinkedIn"),
        ("reddit", "Reddit"),
        ("duckduckgo", "DuckDuckGo"),
        ("google.de", "Google"),
        ("ChatGPT.com", "ChatGPT"),
        ("  reddit\n", "Reddit"),
    ],
)
def test_utm_alias_maps_to_display_name(utm_source: str, expected: str) -> None:
    """Known aliases, display names and known hosts match case-insensitively, ignoring whitespace."""
    assert source_from_utm(utm_source) == expected


@pytest.mark.parametrize(
    ("utm_source", "expected"),
    [
        ("newsletter", "newsletter"),
        ("  Spring Newsletter  ", "Spring Newsletter"),
        ("partner.example.com", "partner.example.com"),
        ("foo\x00bar", "foobar"),
    ],
)
def test_unknown_utm_source_is_kept_as_given(utm_source: str, expected: str) -> None:
    """Other values are kept (trimmed, case preserved, control characters dropped)."""
    assert source_from_utm(utm_source) == expected


@pytest.mark.parametrize("utm_source", ["", "   ", "\t\n", "\x00"])
def test_blank_utm_source_is_empty(utm_source: str) -> None:
    """A blank utm_source gives ""."""
    assert source_from_utm(utm_source) == ""


def test_long_utm_source_is_truncated() -> None:
    """Unknown values are cut to 255 characters."""
    assert source_from_utm("a" * 1000) == "a" * MAX_UTM_SOURCE_LENGTH


# --- the data file -------------------------------------------------------------------------------


def _raw_table() -> dict[str, Any]:
    with DATA_FILE.open(encoding="utf-8") as handle:
        raw: dict[str, Any] = json.load(handle)
    return raw


def test_table_is_version_1_with_60_to_100_sources() -> None:
    """The shipped table has the expected shape and size."""
    raw = _raw_table()
    assert raw["version"] == 1
    assert 60 <= len(raw["sources"]) <= 100


def test_every_source_has_a_known_type() -> None:
    """source_type() reports the table's type for each display name, "" for others."""
    for name in _raw_table()["sources"]:
        assert source_type(name) in SOURCE_TYPES
    assert source_type("someblog.net") == ""


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda raw: raw.update(version=2), "version"),
        (lambda raw: raw["sources"]["Bing"].setdefault("domains", []).append("x.com"), "already listed"),
        (lambda raw: raw["sources"]["Bing"].update(type="spam"), "type"),
        (lambda raw: raw["sources"]["Bing"].update(hostz=[]), "unknown keys"),
        (lambda raw: raw["sources"]["Bing"].update(domains=["www.bing.com"]), "www"),
        (lambda raw: raw["utm_source_aliases"].update(zz="Nope"), "unknown source"),
    ],
)
def test_malformed_table_is_rejected(mutate: Any, message: str) -> None:
    """Loading refuses duplicate hosts, unknown types/keys, "www." entries and dangling aliases."""
    raw = _raw_table()
    mutate(raw)
    with pytest.raises(ValueError, match=message):
        referrers._parse_table(raw)


# --- properties ----------------------------------------------------------------------------------

URLISH = st.builds(
    "{}{}".format,
    st.sampled_from(["http://", "https://", "HTTP://", "android-app://", "javascript:", "//", ""]),
    st.text(max_size=300),
)


@PROPERTY
@given(referrer=st.one_of(st.text(max_size=2000), URLISH), page_host=st.text(max_size=100))
def test_classify_never_raises(referrer: str, page_host: str) -> None:
    """Any text gives a ReferrerSource of strings, never an exception."""
    result = classify_referrer(referrer, page_host)
    assert isinstance(result, ReferrerSource)
    assert isinstance(result.source, str)
    assert isinstance(result.domain, str)
    assert len(result.domain) <= 253


@PROPERTY
@given(
    referrer=st.one_of(
        st.builds(
            "https://{}{}/".format,
            st.sampled_from(["", "www.", "WWW.", "www.www.", "Www."]),
            st.one_of(hostnames(), KNOWN_HOSTS),
        ),
        URLISH,
    )
)
def test_domain_never_starts_with_www(referrer: str) -> None:
    """The reported domain never keeps a leading "www."."""
    assert not classify_referrer(referrer, PAGE).domain.startswith("www.")


@PROPERTY
@given(
    page_domain=registrable_domains(),
    page_prefix=st.sampled_from(["", "www.", "app."]),
    referrer_prefix=st.one_of(st.sampled_from(["", "www."]), st.builds("{}.".format, LABEL)),
    port=st.sampled_from(["", ":80", ":8080"]),
    upper=st.booleans(),
)
def test_self_referral_is_always_none(
    page_domain: str, page_prefix: str, referrer_prefix: str, port: str, upper: bool
) -> None:
    """A referrer on the page's registrable domain (any subdomain, port, case) is never a source."""
    referrer = f"https://{referrer_prefix}{page_domain}{port}/some/path?q=1"
    if upper:
        referrer = referrer.upper()
    assert classify_referrer(referrer, f"{page_prefix}{page_domain}") == NONE


@PROPERTY
@given(
    host=st.one_of(hostnames(), KNOWN_HOSTS),
    page_host=st.sampled_from([PAGE, "", "news.ycombinator.com"]),
    path=st.text(max_size=200),
    query=st.text(max_size=200),
    fragment=st.text(max_size=200),
)
def test_classification_ignores_path_query_and_fragment(
    host: str, page_host: str, path: str, query: str, fragment: str
) -> None:
    """Only the host decides: adding any path, query or fragment never changes the result."""
    bare = classify_referrer(f"https://{host}", page_host)
    assert classify_referrer(f"https://{host}/{path}?{query}#{fragment}", page_host) == bare
    assert classify_referrer(f"https://{host}/{path}", page_host) == bare
