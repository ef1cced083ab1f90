"""The forms a site's domain takes: normalised as people write it, validated as it is stored."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from sites.models import normalise_domain, validate_domain


@pytest.mark.parametrize("raw", ["Blog.Example", " www.blog.example ", "blog.example."])
def test_domains_are_normalised(raw):
    assert normalise_domain(raw) == "blog.example"


@pytest.mark.parametrize(
    "domain", ["blog.example", "a", "localhost", "bücher.example", "xn--bcher-kva.example", "_dmarc.example", "1.2.3.4"]
)
def test_domains_that_are_taken(domain):
    validate_domain(domain)


@pytest.mark.parametrize(
    "domain", ["slash/evil.test", "Blog.example", "a b", 'quote".test', "-dash.example", "dash-.example", "a..b", "a."]
)
def test_what_is_no_domain_is_refused(domain):
    with pytest.raises(ValidationError):
        validate_domain(domain)
