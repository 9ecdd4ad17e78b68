import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings

from guanxi.care import services
from guanxi.care.models import (
    CareProfile,
    Greeting,
    GreetingChannel,
    GreetingStatus,
    GreetingTemplate,
)
from guanxi.customers.models import ContactPoint, Customer
from guanxi.followups.models import Task
from guanxi.interactions.models import Interaction

pytestmark = pytest.mark.django_db
D = dt.date


def only(*occasions):
    GreetingTemplate.objects.exclude(occasion__in=occasions).update(enabled=False)


def test_birthday_email_with_consent_through_real_smtp(world, smtp_server):
    only("birthday")
    Customer.objects.filter(pk=world.cust_a.pk).update(
        birthday=D(1990, 6, 15), marketing_consent=True
    )
    world.email(world.cust_a, "alpha@example.com")
    services.save_profile(
        actor=world.rep_a, customer=world.cust_a, data={"language": "en"}, version=None
    )
    assert services.send_greetings(today=D(2026, 6, 14)) == {"sent": 0, "tasks": 0, "failed": 0}
    assert smtp_server == []  # e-mails go out on the day, not ahead
    assert services.send_greetings(today=D(2026, 6, 15))["sent"] == 1
    [message] = smtp_server
    assert message["X-Envelope-To"] == "alpha@example.com"
    assert message["Subject"] == "Happy birthday, Alpha!"
    assert "Dear Alpha," in message.get_content() and "Rep A" in message.get_content()
    greeting = Greeting.objects.get()
    assert (greeting.occasion, greeting.year, greeting.status) == ("birthday", 2026, "sent")
    interaction = Interaction.objects.get(customer=world.cust_a)
    assert interaction.channel == "email" and interaction.user is None
    assert interaction.purpose == "care" and greeting.interaction == interaction
    # run again the same day and the next (grace) day: nothing more
    services.send_greetings(today=D(2026, 6, 15))
    services.send_greetings(today=D(2026, 6, 16))
    assert len(smtp_server) == 1 and Greeting.objects.count() == 1


def test_chinese_message_by_default(world, smtp_server):
    only("mid_autumn")
    Customer.objects.filter(pk=world.cust_a.pk).update(marketing_consent=True)
    world.email(world.cust_a, "alpha@example.com")
    services.send_greetings(today=D(2026, 9, 25))
    [message] = smtp_server
    assert message["Subject"] == "中秋快乐！"
    assert "中秋节" in message.get_content() and "Alpha您好" in message.get_content()


def test_without_consent_the_owner_gets_a_task_ahead(world, smtp_server):
    only("spring_festival")
    world.email(world.cust_a, "alpha@example.com")  # an address, but no consent
    ContactPoint.objects.create(customer=world.cust_b, kind="wechat", value="beta", normalized="b")
    world.rep_a.language = "en"
    world.rep_a.save()
    # 春节 2026 is 17 February; tasks three days ahead
    assert services.send_greetings(today=D(2026, 2, 13))["tasks"] == 0
    counts = services.send_greetings(today=D(2026, 2, 14))
    assert counts == {"sent": 0, "tasks": 2, "failed": 0}
    assert smtp_server == []
    task_a = Task.objects.get(customer=world.cust_a)
    assert task_a.assignee == world.rep_a and task_a.kind == "call"
    assert task_a.title == "Send Spring Festival greetings to Alpha Zhang by phone"
    assert "恭祝您和家人新春快乐" in task_a.notes
    task_b = Task.objects.get(customer=world.cust_b)
    assert task_b.assignee == world.rep_b and "微信" in task_b.title  # rep B reads Chinese
    channels = dict(Greeting.objects.values_list("customer_id", "channel"))
    assert channels == {world.cust_a.pk: "phone", world.cust_b.pk: "wechat"}
    assert Interaction.objects.filter(customer=world.cust_b, channel="wechat").exists()
    # the pooled customer has no owner and no e-mail: nobody to ask
    assert not Greeting.objects.filter(customer=world.pooled).exists()
    # later days of the window: no second task
    for day in (15, 16, 17, 18):
        services.send_greetings(today=D(2026, 2, day))
    assert Task.objects.count() == 2 and Greeting.objects.count() == 2


def test_pool_customer_with_consent_is_emailed(world, smtp_server):
    only("christmas")
    Customer.objects.filter(pk=world.pooled.pk).update(marketing_consent=True)
    world.email(world.pooled, "pool@example.com")
    services.send_greetings(today=D(2026, 12, 25))
    assert [m["X-Envelope-To"] for m in smtp_server] == ["pool@example.com"]


def test_lunar_birthday_and_the_30th_in_a_short_month(world, smtp_server):
    only("birthday")
    # born 2025-09-21 = 七月三十 of 2025; in 2026 the seventh month has 29 days → 七月廿九
    Customer.objects.filter(pk=world.cust_a.pk).update(
        birthday=D(2025, 9, 21), marketing_consent=True
    )
    world.email(world.cust_a, "alpha@example.com")
    profile = services.save_profile(
        actor=world.rep_a, customer=world.cust_a, data={"calendar": "lunar"}, version=None
    )
    assert (profile.lunar_month, profile.lunar_day) == (7, 30)
    from guanxi.care import dates

    expected = D(2026, 9, 10)  # 七月廿九 of 2026
    assert dates.lunar_birthdays_on(expected) == (2026, 7, [29, 30])
    services.send_greetings(today=expected - dt.timedelta(days=1))
    assert smtp_server == []
    services.send_greetings(today=expected)
    assert len(smtp_server) == 1
    assert Greeting.objects.get().year == 2026
    # the Gregorian date (21 September) does not greet a lunar customer
    services.send_greetings(today=D(2026, 9, 21))
    assert len(smtp_server) == 1


def test_lunar_needs_a_birthday_and_bad_values_are_refused(world):
    with pytest.raises(ValidationError) as error:
        services.save_profile(
            actor=world.rep_a, customer=world.cust_a, data={"calendar": "lunar"}, version=None
        )
    assert "calendar" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.save_profile(
            actor=world.rep_a, customer=world.cust_a, data={"language": "fr"}, version=None
        )
    assert "language" in error.value.message_dict


def test_a_crash_half_way_resumes_without_doubling(world, smtp_server, monkeypatch):
    only("national_day")
    customers = [world.cust_a, world.cust_b, world.pooled]
    for i, customer in enumerate(customers):
        Customer.objects.filter(pk=customer.pk).update(marketing_consent=True)
        world.email(customer, f"c{i}@example.com")
    real = services.interactions.log_system_interaction
    calls = {"n": 0}

    def crash_on_second(**kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise SystemExit("killed")  # the process dies after the second e-mail went out
        return real(**kwargs)

    monkeypatch.setattr(services.interactions, "log_system_interaction", crash_on_second)
    with pytest.raises(SystemExit):
        services.send_greetings(today=D(2026, 10, 1))
    assert len(smtp_server) == 2
    monkeypatch.setattr(services.interactions, "log_system_interaction", real)
    counts = services.send_greetings(today=D(2026, 10, 1))
    assert counts["sent"] == 1  # only the third customer
    recipients = sorted(m["X-Envelope-To"] for m in smtp_server)
    assert recipients == ["c0@example.com", "c1@example.com", "c2@example.com"]
    statuses = sorted(Greeting.objects.values_list("status", flat=True))
    assert statuses == ["sending", "sent", "sent"]  # the one cut off is never sent again


def test_a_refused_email_is_retried_next_run(world, smtp_server):
    only("new_year")
    Customer.objects.filter(pk=world.cust_a.pk).update(marketing_consent=True)
    world.email(world.cust_a, "alpha@example.com")
    with override_settings(EMAIL_PORT=1):  # nothing listens there
        assert services.send_greetings(today=D(2027, 1, 1))["failed"] == 1
    greeting = Greeting.objects.get(customer=world.cust_a)
    assert greeting.status == GreetingStatus.FAILED and greeting.error
    assert services.send_greetings(today=D(2027, 1, 1))["sent"] == 1
    assert len(smtp_server) == 1
    assert Greeting.objects.get(customer=world.cust_a).status == GreetingStatus.SENT


def test_consent_and_grades_are_respected(world, smtp_server):
    only("christmas")
    GreetingTemplate.objects.filter(occasion="christmas").update(grades=["vip"])
    Customer.objects.filter(pk=world.cust_a.pk).update(marketing_consent=True, grade="vip")
    Customer.objects.filter(pk=world.cust_b.pk).update(marketing_consent=True, grade="normal")
    world.email(world.cust_a, "a@example.com")
    world.email(world.cust_b, "b@example.com")
    services.send_greetings(today=D(2026, 12, 25))
    assert [m["X-Envelope-To"] for m in smtp_server] == ["a@example.com"]
    assert not Greeting.objects.filter(customer=world.cust_b).exists()


def test_deleted_customers_and_disabled_templates_are_not_greeted(world, smtp_server):
    GreetingTemplate.objects.update(enabled=False)
    Customer.objects.update(marketing_consent=True)
    world.email(world.cust_a, "a@example.com")
    services.send_greetings(today=D(2026, 12, 25))
    GreetingTemplate.objects.filter(occasion="christmas").update(enabled=True)
    Customer.objects.filter(pk=world.cust_a.pk).update(deleted_at=dt.datetime.now(dt.UTC))
    services.send_greetings(today=D(2026, 12, 25))
    assert smtp_server == [] and not Greeting.objects.filter(customer=world.cust_a).exists()
    assert Greeting.objects.filter(customer=world.cust_b, status="task").exists()


def test_template_placeholders_are_validated_and_never_executed(world):
    template = GreetingTemplate.objects.get(occasion="birthday")
    for bad in ("Hi {nme}", "Hi {name.__class__}", "Hi {name", "{0}"):
        with pytest.raises(ValidationError) as error:
            services.update_template(
                actor=world.admin, template=template, data={"body_en": bad}, version=1
            )
        assert "body_en" in error.value.message_dict
    saved = services.update_template(
        actor=world.admin,
        template=template,
        data={"body_en": "Hi {name}, {{literal}} from {owner_name} on {date}"},
        version=1,
    )
    assert saved.version == 2
    _subject, body = services.compose(saved, world.cust_a, D(2026, 6, 15), "en")
    assert body == "Hi Alpha, {literal} from Rep A on 15 June"
    from guanxi.core.errors import PermissionDeniedError

    with pytest.raises(PermissionDeniedError):
        services.update_template(actor=world.rep_a, template=template, data={}, version=2)


def test_greeting_channel_labels():
    assert GreetingChannel.EMAIL == "email"
    assert CareProfile._meta.get_field("calendar").default == "gregorian"
