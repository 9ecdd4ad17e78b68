"""Countries of addresses: real ISO 3166-1 codes only, shown by their name in the user's
language on the customer's page and in the address form."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from guanxi.customers import countries, services

pytestmark = pytest.mark.django_db


def test_the_codes_are_those_of_iso_3166():
    assert len(countries.CODES) == 249
    assert {"CN", "HK", "MO", "TW", "US", "GB", "DE", "JP", "AQ"} <= countries.CODES
    assert not {"ZZ", "XX", "AN", "UK", "EU", "001"} & countries.CODES


def test_clean_country_takes_any_case_and_defaults_to_china():
    assert countries.clean_country(" us ") == "US"
    assert countries.clean_country("") == "CN"
    for bad in ("ZZ", "UK", "USA", "中国"):
        with translation.override("en"), pytest.raises(ValidationError) as caught:
            countries.clean_country(bad)
        assert f"“{bad}” is not a country" in caught.value.messages[0]


def test_parse_country_also_takes_names_in_english_and_chinese():
    assert countries.parse_country("美国") == "US"
    assert countries.parse_country("united states") == "US"
    assert countries.parse_country("中國") == "CN"
    assert countries.parse_country("Germany") == "DE"
    with pytest.raises(ValidationError):
        countries.parse_country("Atlantis")


def test_names_follow_the_language():
    assert countries.country_name("US", "zh-hans") == "美国"
    assert countries.country_name("US", "en") == "United States"
    assert countries.country_name("ZZ", "en") == "ZZ"
    zh = countries.country_choices("zh-hans")
    assert zh[0] == ("CN", "中国") and len(zh) == 249
    names = [n for _c, n in countries.country_choices("en")[1:]]
    assert names == sorted(names, key=str.casefold)


def test_the_customer_page_names_a_foreign_country_in_the_users_language(client, two_teams):
    customer = services.create_customer(
        actor=two_teams.rep_a,
        data={
            "display_name": "John",
            "addresses": [{"country": "us", "city": "Boston", "street": "1 Main St"}],
        },
    )
    client.force_login(two_teams.rep_a)
    url = reverse("customers:detail", args=[customer.pk])
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "美国 Boston" in page
    two_teams.rep_a.language = "en"
    two_teams.rep_a.save(update_fields=["language"])
    assert "United States Boston" in client.get(url).content.decode()


def test_the_address_form_offers_the_countries_by_name(client, two_teams):
    client.force_login(two_teams.rep_a)
    page = client.get(reverse("customers:create"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    html = page.content.decode()
    assert '<option value="US">美国</option>' in html
    assert '<option value="CN" selected>中国</option>' in html
