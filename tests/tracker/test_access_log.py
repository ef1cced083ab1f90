"""Access-log import on the committed nginx and Apache samples: what is kept and why the rest is not,
visits, idempotency, damaged gzip, and that the address goes nowhere."""

from __future__ import annotations

import gzip
import io
import logging
from datetime import UTC, datetime
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from hypothesis import given
from hypothesis import strategies as st

from tests.factories import SiteFactory
from tests.tracker.test_privacy import dump_everything
from tracker import access_log
from tracker.access_log import SkipReason, import_access_log, parse_line
from tracker.lifecycle import archive, parquet
from tracker.models import Event, Salt, Session

pytestmark = pytest.mark.django_db

DATA = Path(__file__).resolve().parent.parent / "data" / "access_logs"
NGINX = DATA / "nginx-access.log"
APACHE = DATA / "apache-access.log.gz"
NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
LOG_ADDRESSES = ("203.0.113.7", "203.0.113.8", "203.0.113.9", "198.51.100.23", "2001:db8::42", "192.0.2.77")


@pytest.fixture
def site():
    return SiteFactory(domain="blog.example")


def line(
    *,
    address: str = "203.0.113.7",
    when: str = "20/Nov/2026:11:00:00 +0100",
    request: str = "GET / HTTP/1.1",
    status: int = 200,
    referrer: str = "-",
    agent: str = FIREFOX,
) -> bytes:
    return f'{address} - - [{when}] "{request}" {status} 512 "{referrer}" "{agent}"'.encode()


def test_the_nginx_sample_keeps_page_views_and_says_why_it_skipped_the_rest(site, geoip_db):
    summary = import_access_log(site, NGINX)
    assert summary.lines == 29
    assert summary.imported == 9
    assert dict(summary.skipped) == {
        "asset": 7,
        "tracker_path": 2,
        "status": 3,
        "method": 1,
        "bad_request": 2,
        "bot": 2,
        "malformed": 2,
        "bad_time": 1,
    }
    assert summary.samples["tracker_path"] == [7, 8]
    assert summary.samples["bot"] == [12, 13]
    assert summary.samples["malformed"] == [26, 27]
    assert summary.samples["asset"] == [2, 3, 4, 5, 6]  # at most five samples
    first = Event.objects.filter(site=site).order_by("timestamp").first()
    assert first is not None
    assert (first.timestamp, first.path, first.hostname) == (
        datetime(2026, 11, 20, 10, tzinfo=UTC),
        "/",
        "blog.example",
    )
    assert (first.referrer, first.referrer_source, first.country, first.browser) == (
        "google.com",
        "Google",
        "DE",
        "Firefox",
    )
    tagged = Event.objects.get(site=site, utm_source="newsletter")
    assert (tagged.path, tagged.utm_medium, tagged.url) == (
        "/blog/first-post",
        "email",
        "https://blog.example/blog/first-post",
    )


def test_a_304_answer_is_a_page_view_and_a_301_is_not(site):
    import_access_log(site, NGINX)
    chrome = Event.objects.filter(site=site, browser="Chrome").order_by("timestamp")
    assert [e.path for e in chrome] == ["/blog/first-post", "/blog/first-post"]  # 200, then the 304 reload
    assert not Event.objects.filter(site=site, path="/old-page").exists()


def test_visits_come_out_as_the_log_tells_them_across_batches(site):
    import_access_log(site, NGINX, batch_size=2)
    firefox = Session.objects.get(site=site, entry_path="/", browser="Firefox")
    assert (firefox.pageviews, firefox.exit_path, firefox.duration, firefox.is_bounce) == (3, "/about", 300, False)
    # Chrome's reload 18 minutes later is the same visit; the other two readers make one each.
    assert Session.objects.filter(site=site).count() == 4
    assert Event.objects.filter(site=site, session__isnull=True).count() == 0


def test_identical_lines_of_one_second_are_two_page_views(site):
    import_access_log(site, NGINX)
    safari = Event.objects.filter(site=site, browser="Safari", path="/blog/first-post")
    assert safari.count() == 2
    assert len({e.uuid for e in safari}) == 2


def test_importing_a_file_again_stores_nothing_twice(site):
    first = import_access_log(site, NGINX)
    count = Event.objects.count()
    sessions = list(Session.objects.values_list("id", "pageviews"))
    again = import_access_log(site, NGINX, batch_size=3)
    assert again.imported == 0
    assert again.skipped["duplicate"] == first.imported
    assert Event.objects.count() == count
    assert list(Session.objects.values_list("id", "pageviews")) == sessions


def test_event_uuids_are_keyed_so_a_uuid_does_not_give_the_address_away(settings):
    raw = line()
    key = access_log._uuid_key()
    assert access_log.event_uuid(key, 1, raw, 1) == access_log.event_uuid(key, 1, raw, 1)
    assert access_log.event_uuid(key, 1, raw, 1) != access_log.event_uuid(key, 2, raw, 1)
    assert access_log.event_uuid(key, 1, raw, 1) != access_log.event_uuid(key, 1, raw, 2)
    settings.SECRET_KEY = "another secret"
    assert access_log.event_uuid(access_log._uuid_key(), 1, raw, 1) != access_log.event_uuid(key, 1, raw, 1)


def test_the_gzipped_apache_sample_is_detected_and_read(site, geoip_db):
    summary = import_access_log(site, APACHE)
    assert summary.lines == 14
    assert summary.imported == 5
    assert dict(summary.skipped) == {
        "asset": 2,
        "status": 2,
        "bot": 1,
        "bad_address": 1,
        "method": 1,
        "malformed": 1,
        "future": 1,
    }
    iphone = Event.objects.filter(site=site, country="FR").order_by("timestamp")
    assert [e.path for e in iphone] == ["/", "/blog/second-post", "/blog/first-post"]
    assert iphone[0].timestamp == datetime(2026, 11, 21, 9, 10, tzinfo=UTC)
    assert (iphone[0].device_type, iphone[0].referrer) == ("mobile", "news.ycombinator.com")
    assert Event.objects.filter(site=site, path="/about", browser="Chrome").exists()  # its agent holds \"quotes\"


def test_a_gzipped_file_object_is_read_like_a_path(site):
    with APACHE.open("rb") as upload:
        assert import_access_log(site, upload).imported == 5


def test_a_stream_that_cannot_seek_is_read_too(site):
    class Pipe(io.RawIOBase):
        def __init__(self, data: bytes) -> None:
            self.data = io.BytesIO(data)

        def readable(self) -> bool:
            return True

        def readinto(self, buffer) -> int:
            chunk = self.data.read(len(buffer))
            buffer[: len(chunk)] = chunk
            return len(chunk)

    assert import_access_log(site, Pipe(APACHE.read_bytes())).imported == 5
    assert import_access_log(site, Pipe(NGINX.read_bytes())).imported == 9


def test_a_truncated_gzip_file_imports_what_it_holds_and_is_counted(site, tmp_path):
    data = gzip.compress(NGINX.read_bytes() * 20, mtime=0)
    cut = tmp_path / "cut.log.gz"
    cut.write_bytes(data[: len(data) * 2 // 3])
    summary = import_access_log(site, cut)
    assert summary.skipped["unreadable"] == 1
    assert "unreadable after line" in summary.error
    assert 0 < summary.lines < 29 * 20
    assert summary.imported == Event.objects.count() > 0


def test_a_corrupt_gzip_file_is_counted_not_a_crash(site, tmp_path):
    broken = tmp_path / "broken.log.gz"
    broken.write_bytes(access_log.GZIP_MAGIC + b"\x08\x00 this is no deflate stream" * 4)
    summary = import_access_log(site, broken)
    assert (summary.lines, summary.imported, dict(summary.skipped)) == (0, 0, {"unreadable": 1})


def test_an_empty_file_reads_nothing(site, tmp_path):
    empty = tmp_path / "empty.log"
    empty.write_bytes(b"")
    summary = import_access_log(site, empty)
    assert (summary.lines, summary.imported, dict(summary.skipped)) == (0, 0, {})


def test_a_line_too_long_is_skipped_whole(site):
    huge = line(request=f"GET /{'a' * access_log.MAX_LINE} HTTP/1.1")
    summary = import_access_log(site, io.BytesIO(huge + b"\n" + line() + b"\n"))
    assert (summary.lines, summary.imported, dict(summary.skipped)) == (2, 1, {"malformed": 1})


def test_progress_counts_every_line(site):
    seen: list[int] = []
    import_access_log(site, NGINX, progress=seen.append, batch_size=2)
    assert sum(seen) == 29
    assert len(seen) > 2


def test_the_site_exclusions_apply(site):
    site.excluded_paths = ["/blog/**"]
    site.save()
    summary = import_access_log(site, NGINX)
    assert summary.skipped["excluded_path"] == 7
    assert not Event.objects.filter(path__startswith="/blog/").exists()


def test_past_days_hash_visitors_per_day_without_storing_their_salts(site):
    import_access_log(site, NGINX)
    import_access_log(site, APACHE)
    chrome = Event.objects.filter(site=site, browser="Chrome", os="Windows").order_by("timestamp")
    days = {e.timestamp.date(): e.visitor_hash for e in chrome}
    assert len(days) == 2
    assert len(set(days.values())) == 2  # the same reader, unrelated ids on two days
    assert not Salt.objects.filter(day__in=list(days)).exists()


@pytest.mark.parametrize("archive_format", ["json", "parquet"])
def test_no_address_reaches_the_database_the_archive_or_the_logs(
    site, geoip_db, settings, archive_dir, caplog, archive_format
):
    settings.ARCHIVE_FORMAT = archive_format
    caplog.set_level(logging.DEBUG)
    import_access_log(site, NGINX)
    import_access_log(site, APACHE)
    archive.archive_pending(force=True)
    archived = "".join(
        gzip.decompress(p.read_bytes()).decode() if p.name.endswith(".gz") else str(parquet.read_rows(str(p)))
        for p in archive_dir.rglob("*.*")
        if p.is_file()
    )
    assert archived.count("'uuid'" if archive_format == "parquet" else '"uuid"') == Event.objects.count() == 14
    assert access_log._address.cache_info().currsize == 0  # nor in memory, once the import is done
    dump = dump_everything()
    for address in LOG_ADDRESSES:
        assert address not in dump
        assert address not in archived
        assert address not in caplog.text


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"", SkipReason.MALFORMED),
        (b'203.0.113.7 - - [20/Nov/2026:11:00:00 +0100] "GET / HTTP/1.1" 200 512', SkipReason.MALFORMED),
        (line(when="20/Foo/2026:11:00:00 +0100"), SkipReason.BAD_TIME),
        (line(when="20/Nov/2026:11:00:00"), SkipReason.BAD_TIME),
        (line(when="01/Jan/2100:00:00:00 +0000"), SkipReason.FUTURE),
        (line(address="example.com"), SkipReason.BAD_ADDRESS),
        (line(request="GET"), SkipReason.BAD_REQUEST),
        (line(request="GET nothing HTTP/1.1"), SkipReason.BAD_REQUEST),
        (line(request="GET /api/events HTTP/1.1"), SkipReason.TRACKER_PATH),
        (line(request="POST / HTTP/1.1"), SkipReason.METHOD),
        (line(request="HEAD / HTTP/1.1"), SkipReason.METHOD),
        (line(status=404), SkipReason.STATUS),
        (line(status=206), SkipReason.STATUS),
        (line(request="GET /a/B.PNG?x=1 HTTP/1.1"), SkipReason.ASSET),
        (line(request="GET /sitemap.xml HTTP/1.1"), SkipReason.ASSET),
    ],
)
def test_lines_not_imported_name_their_reason(raw, reason):
    assert parse_line(raw, NOW) == reason


def test_a_line_is_read_into_its_request():
    request = parse_line(
        line(
            address="::ffff:203.0.113.7",
            when="20/Nov/2026:23:30:00 -0130",
            request="GET http://blog.example/p?q=%22x%22 HTTP/1.0",
            referrer="https://example.com/a\\x22b",
            agent='Agent \\"quoted\\" \\\\ end',
        ),
        NOW,
    )
    assert not isinstance(request, SkipReason)
    assert request.address == "203.0.113.7"
    assert request.timestamp == datetime(2026, 11, 21, 1, 0, tzinfo=UTC)
    assert request.target == "/p?q=%22x%22"
    assert request.referrer == 'https://example.com/a"b'
    assert request.user_agent == 'Agent "quoted" \\ end'


def test_dashes_are_empty_referrer_and_agent():
    request = parse_line(line(agent="-"), NOW)
    assert not isinstance(request, SkipReason)
    assert (request.referrer, request.user_agent) == ("", "")


@given(st.binary(max_size=400))
def test_any_bytes_parse_into_a_request_or_a_reason(raw):
    assert isinstance(parse_line(raw, NOW), SkipReason | access_log.Request)


@given(
    path=st.text(st.characters(min_codepoint=33, max_codepoint=126, exclude_characters='"\\'), max_size=60),
    agent=st.text(st.characters(min_codepoint=32, max_codepoint=126, exclude_characters='"\\'), max_size=80),
)
def test_generated_lines_keep_their_path_and_agent(path, agent):
    request = parse_line(line(request=f"GET /{path} HTTP/1.1", agent=agent or "-"), NOW)
    if isinstance(request, SkipReason):
        assert request in (SkipReason.ASSET, SkipReason.TRACKER_PATH)
    else:
        assert (request.target, request.user_agent) == (f"/{path}", "" if agent == "-" else agent)


def test_the_command_prints_each_file_and_the_total(site):
    out = StringIO()
    call_command(
        "import_access_log", "--site", "www.blog.example", str(NGINX), str(APACHE), "--no-progress", stdout=out
    )
    text = out.getvalue()
    assert f"{NGINX}: 29 lines read, 9 events imported" in text
    assert f"{APACHE}: 14 lines read, 5 events imported" in text
    assert "all files: 43 lines read, 14 events imported" in text
    assert "skipped 2 malformed (lines 26, 27)" in text
    assert "skipped 7 asset (lines 2, 3, 4, 5, 6, ...)" in text


def test_the_command_refuses_an_unknown_site_and_missing_files(site, tmp_path):
    with pytest.raises(CommandError, match="No site"):
        call_command("import_access_log", "--site", "nowhere.example", str(NGINX))
    with pytest.raises(CommandError, match="Not a file"):
        call_command("import_access_log", "--site", "blog.example", str(tmp_path / "missing.log"))
    assert not Event.objects.exists()
