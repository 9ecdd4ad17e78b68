"""`manage.py bootstrap`: the first administrator and demo data, each made once."""

from __future__ import annotations

import io
import itertools
from decimal import Decimal
from unittest import mock

import pytest
from django.core.management import CommandError, call_command

from guanxi.accounts.models import User
from guanxi.audit.models import AuditEvent
from guanxi.customers.models import Customer
from guanxi.sales.models import Order, Product

pytestmark = pytest.mark.django_db

SEED = "guanxi.core.management.commands.bootstrap.load_demo"


def bootstrap(*args: str) -> str:
    out = io.StringIO()
    call_command("bootstrap", *args, stdout=out)
    return out.getvalue()


@pytest.fixture(autouse=True)
def _no_superuser_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DJANGO_SUPERUSER_USERNAME", "DJANGO_SUPERUSER_PASSWORD"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def seed() -> mock.MagicMock:
    with mock.patch(SEED) as seed:
        yield seed


def _printed_password(output: str) -> str:
    lines = [line for line in output.splitlines() if line.strip().startswith("password:")]
    assert len(lines) == 1, output
    return lines[0].split(":", 1)[1].strip()


def test_creates_admin_with_random_password_printed_once(seed: mock.MagicMock) -> None:
    first = bootstrap("--no-demo")
    password = _printed_password(first)
    assert len(password) >= 16

    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff and admin.is_active
    assert admin.role is not None and admin.role.code == "admin"
    assert admin.check_password(password)
    assert password not in admin.password  # only the hash is stored
    assert AuditEvent.objects.filter(object_type="accounts.user", object_id=str(admin.pk)).exists()

    second = bootstrap("--no-demo")
    assert password not in second
    assert "password:" not in second
    assert "already exists" in second
    assert User.objects.count() == 1
    assert User.objects.get(pk=admin.pk).check_password(password)  # unchanged


def test_creates_admin_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DJANGO_SUPERUSER_USERNAME", "boss")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "a long and private passphrase")
    output = bootstrap("--no-demo")
    assert "a long and private passphrase" not in output
    assert "boss" in output

    boss = User.objects.get(username="boss")
    assert boss.is_superuser and boss.is_staff
    assert boss.role.code == "admin"
    assert boss.check_password("a long and private passphrase")

    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "another long passphrase")
    again = bootstrap("--no-demo")
    assert "already exists" in again
    assert User.objects.count() == 1
    assert User.objects.get(username="boss").check_password("a long and private passphrase")


def test_weak_password_from_environment_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "admin")
    with pytest.raises(CommandError, match="DJANGO_SUPERUSER_PASSWORD"):
        bootstrap("--no-demo")
    assert not User.objects.exists()


def test_existing_superuser_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    User.objects.create_superuser(username="root", password="x" * 20)
    monkeypatch.setenv("DJANGO_SUPERUSER_USERNAME", "someone-else")
    output = bootstrap("--no-demo")
    assert "root" in output and "already exists" in output
    assert list(User.objects.values_list("username", flat=True)) == ["root"]


def test_username_taken_by_a_non_admin_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    User.objects.create_user(username="admin", password="x" * 20)
    with pytest.raises(CommandError, match="not an administrator"):
        bootstrap("--no-demo")


def test_demo_data_only_into_an_empty_database(seed: mock.MagicMock) -> None:
    output = bootstrap("--customers", "20", "--orders", "50")
    seed.assert_called_once_with(customers=20, orders=50, out=mock.ANY)
    assert "Demo data: loaded" in output

    seed.reset_mock()
    Customer.objects.create(display_name="北京测试科技有限公司")
    output = bootstrap()
    seed.assert_not_called()
    assert "already holds data" in output


def test_products_alone_make_the_database_not_empty(seed: mock.MagicMock) -> None:
    Product.objects.create(sku="P-1", name="茶叶", unit_price=Decimal("88.00"))
    bootstrap()
    seed.assert_not_called()


def test_no_demo_flag_skips_demo_data(seed: mock.MagicMock) -> None:
    bootstrap("--no-demo")
    seed.assert_not_called()


def test_default_demo_size_is_modest(seed: mock.MagicMock) -> None:
    bootstrap()
    seed.assert_called_once_with(customers=2000, orders=10000, out=mock.ANY)


def test_really_seeds_a_small_demo_once() -> None:
    bootstrap("--customers", "5", "--orders", "12")
    assert Customer.objects.count() == 5
    assert Order.objects.count() == 12
    output = bootstrap("--customers", "5", "--orders", "12")
    assert "already holds data" in output
    assert Customer.objects.count() == 5
    assert User.objects.filter(is_superuser=True).count() == 1


def test_demo_shows_work_in_every_module() -> None:
    """The demo has something on the board, in the ticket queue, the knowledge base, the needs
    and the survey results, made through the services (so audited), and mails nobody."""
    from django.core import mail

    from guanxi.kb.models import Article
    from guanxi.needs.models import Need
    from guanxi.pipeline.models import Opportunity
    from guanxi.surveys.models import Response
    from guanxi.tickets.models import Ticket

    output = bootstrap("--customers", "120", "--orders", "300")
    assert "Demo work:" in output
    for model in (Article, Opportunity, Ticket, Need, Response):
        assert model.objects.exists(), model.__name__
    assert AuditEvent.objects.filter(object_type="tickets.ticket").exists()
    assert not mail.outbox
    # The board's "time in stage" reads as in use: days, not the seconds the seeding took.
    from guanxi.pipeline.models import StageChange

    finished = StageChange.objects.filter(left_at__isnull=False)
    assert finished.exists()
    assert all(s.seconds >= 86_400 and s.left_at > s.entered_at for s in finished)
    for opp in Opportunity.objects.all():
        stays = list(StageChange.objects.filter(opportunity=opp).order_by("entered_at"))
        assert opp.stage_entered_at == stays[-1].entered_at
        for before, after in itertools.pairwise(stays):
            assert before.left_at == after.entered_at


def test_demo_comes_with_its_scores_costs_dashboard_and_recommendations() -> None:
    """The nightly jobs would derive these only at night: before, a fresh `make run` showed an
    empty value card, no churn warnings, "the model has not been fitted", no recommendations,
    and (product costs being set, cost totals not) a profit equal to the revenue."""
    from guanxi.analytics.models import CustomerScore, ModelFit
    from guanxi.reports.models import SummaryRun

    output = bootstrap("--customers", "150", "--orders", "900")
    assert "Demo scores:" in output
    assert ModelFit.objects.exists()
    buyers = CustomerScore.objects.filter(frequency__gt=0).select_related("customer")
    assert buyers.exists()
    for score in buyers:
        assert score.rfm_score and score.cost_total > 0
        assert score.profit == score.customer.total_spent - score.cost_total
    assert set(SummaryRun.objects.values_list("kind", flat=True)) == {"dashboard", "affinity"}
