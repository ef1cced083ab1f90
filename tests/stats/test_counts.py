from stats.counts import FIELDS, fields_needed, reads_visits


def test_every_answer_has_its_visitors_and_events():
    assert fields_needed(["visitors"]) == {"visitors", "events"}
    assert fields_needed(["visitors", "events", "conversion_rate"]) == {"visitors", "events"}


def test_a_rate_needs_what_it_divides():
    assert fields_needed(["views_per_visit"]) == {"visitors", "events", "pageviews", "visits"}
    assert fields_needed(["bounce_rate", "scroll_depth"]) == {
        "visitors",
        "events",
        "bounces",
        "visits",
        "scroll_sum",
        "scroll_count",
    }


def test_every_metric_together_needs_every_count():
    metrics = ["visitors", "visits", "pageviews", "views_per_visit", "bounce_rate", "visit_duration", "events"]
    assert fields_needed([*metrics, "engaged_time", "scroll_depth"]) == set(FIELDS)


def test_only_bounce_rate_and_visit_duration_read_the_visits():
    assert reads_visits(["bounce_rate"])
    assert reads_visits(["visitors", "visit_duration"])
    assert not reads_visits(["visitors", "visits", "pageviews", "views_per_visit", "engaged_time", "scroll_depth"])
