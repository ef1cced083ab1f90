"""deploy/prometheus/alerts.yml: well formed, and every Footfall metric it names is one /metrics exports."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from tests.ops.test_collector import EMBEDDED, STREAM

RULES = Path(__file__).resolve().parents[2] / "deploy" / "prometheus" / "alerts.yml"
# Counters are exposed with _total.
EXPORTED = {*EMBEDDED, *STREAM} | {name + "_total" for name in EMBEDDED}


def rules() -> list[dict]:
    groups = yaml.safe_load(RULES.read_text())["groups"]
    return [rule for group in groups for rule in group["rules"]]


def test_every_rule_is_complete():
    names = [rule["alert"] for rule in rules()]
    assert len(names) == len(set(names))
    for rule in rules():
        assert set(rule) == {"alert", "expr", "for", "labels", "annotations"}, rule["alert"]
        assert rule["labels"]["severity"] in {"critical", "warning", "info"}
        assert rule["annotations"]["summary"]


def test_rules_name_only_exported_metrics():
    used = {name for rule in rules() for name in re.findall(r"\bfootfall_\w+", rule["expr"])}
    assert used - EXPORTED == set()
    assert len(used) >= 10
