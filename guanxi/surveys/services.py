"""Writes to surveys, their links and answers, and to improvement actions: validated,
permission-checked, audited, locked."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from guanxi.accounts.models import User
from guanxi.accounts.policies import has_perm
from guanxi.audit import services as audit
from guanxi.audit.models import AuditAction
from guanxi.core.errors import PermissionDeniedError
from guanxi.core.validation import FIRST_DATE, LAST_DATE, date_range_message
from guanxi.core.versioning import check_version
from guanxi.customers.models import ContactPoint, ContactPointKind, Customer
from guanxi.customers.policies import can_see

from .models import (
    ActionStatus,
    ImprovementAction,
    Question,
    QuestionKind,
    Response,
    Survey,
    SurveyKind,
    SurveyLink,
    SurveyStatus,
)
from .policies import may_change_action, may_edit_survey

log = logging.getLogger(__name__)

SURVEY_FIELDS = ("title", "kind", "intro", "closes_at", "low_csat", "low_nps")
QUESTION_FIELDS = ("position", "kind", "text", "choices", "required", "scale_min", "scale_max")
ACTION_FIELDS = (
    "title", "description", "owner", "due_date", "status", "survey", "theme", "ticket", "need",
)  # fmt: skip
TOKEN_SALT = "guanxi.surveys.link"  # noqa: S105 - a signing salt, not a secret
MAX_CHOICES = 20
MAX_TEXT_ANSWER = 5000
MAX_SEND = 500
SATISFIED_CSAT = 4  # CSAT 4 and 5 count as satisfied
PROMOTER = 9  # NPS 9-10 promoters, 0-6 detractors
DETRACTOR = 6


def _unknown(data: dict[str, Any], allowed) -> None:
    unknown = set(data) - set(allowed)
    if unknown:
        raise ValidationError({f: _("There is no such field.") for f in sorted(unknown)})


def _text(obj, field: str, required: bool = True) -> None:
    value = " ".join((getattr(obj, field) or "").split())
    setattr(obj, field, value)
    if required and not value:
        raise ValidationError({field: _("This field is required.")})


def _require(actor: User, action: str) -> None:
    if not has_perm(actor, "surveys", action):
        raise PermissionDeniedError()


# --- surveys and their questions --------------------------------------------------------------


def _prepare_survey(survey: Survey) -> None:
    _text(survey, "title")
    survey.intro = (survey.intro or "").strip()
    if survey.kind not in SurveyKind.values:
        raise ValidationError({"kind": _("Choose a kind of survey.")})
    survey.full_clean(exclude=["created_by"], validate_unique=False)


def _check_closing(survey: Survey, before: Any = None) -> None:
    """A closing time within the dates people may type and, when it is set or moved, not
    already past (such a survey could never be answered; closing one is a status)."""
    closes = survey.closes_at
    if closes is None or closes == before:
        return
    if not isinstance(closes, dt.datetime):
        return  # full_clean reports a value of the wrong type
    try:
        day = timezone.localtime(closes).date() if timezone.is_aware(closes) else closes.date()
    except OverflowError:
        day = dt.date.min
    if not FIRST_DATE <= day <= LAST_DATE:
        raise ValidationError({"closes_at": date_range_message()})
    if closes <= timezone.now():
        raise ValidationError({"closes_at": _("This time has already passed.")})


@transaction.atomic
def create_survey(*, actor: User, data: dict[str, Any]) -> Survey:
    """A draft survey; a CSAT or NPS survey starts with its score question."""
    _require(actor, "create")
    _unknown(data, SURVEY_FIELDS)
    survey = Survey(created_by=actor if actor.pk else None, **data)
    _prepare_survey(survey)
    _check_closing(survey)
    survey.save()
    if survey.kind == SurveyKind.CSAT:
        Question.objects.create(
            survey=survey,
            kind=QuestionKind.CSAT,
            text=_("How satisfied are you with our products and service?"),
            position=10,
        )
    elif survey.kind == SurveyKind.NPS:
        Question.objects.create(
            survey=survey,
            kind=QuestionKind.NPS,
            text=_("How likely are you to recommend us to a friend or colleague?"),
            position=10,
        )
    audit.record_create(actor=actor, instance=survey, fields=SURVEY_FIELDS)
    return survey


def _lock_survey(survey: Survey) -> Survey:
    return Survey.objects.select_for_update().get(pk=survey.pk)


@transaction.atomic
def update_survey(
    *, actor: User, survey: Survey, data: dict[str, Any], version: int | None
) -> Survey:
    _unknown(data, SURVEY_FIELDS)
    locked = _lock_survey(survey)
    check_version(locked, version)
    if not may_edit_survey(actor, locked):
        raise PermissionDeniedError()
    before = audit.snapshot(locked, SURVEY_FIELDS)
    if "kind" in data and data["kind"] != locked.kind and locked.status != SurveyStatus.DRAFT:
        raise ValidationError({"kind": _("The kind of a survey that was sent cannot change.")})
    for field, value in data.items():
        setattr(locked, field, value)
    _prepare_survey(locked)
    _check_closing(locked, before["closes_at"])
    return _save(actor, locked, before, SURVEY_FIELDS)


def _save(actor: User, locked, before: dict, fields, customer_id=None):
    changes = audit.diff(before, audit.snapshot(locked, fields))
    if not changes:
        return locked
    locked.version = F("version") + 1
    locked.save()
    locked.refresh_from_db()
    audit.record(
        actor=actor,
        action=AuditAction.UPDATE,
        instance=locked,
        changes=changes,
        customer_id=customer_id,
    )
    return locked


@transaction.atomic
def set_survey_status(*, actor: User, survey: Survey, status: str, version: int | None) -> Survey:
    """draft → active (needs a question) → closed; a closed survey may be reopened."""
    locked = _lock_survey(survey)
    check_version(locked, version)
    if not may_edit_survey(actor, locked):
        raise PermissionDeniedError()
    if status not in SurveyStatus.values or status == SurveyStatus.DRAFT:
        raise ValidationError({"status": _("Choose active or closed.")})
    if status == SurveyStatus.ACTIVE and not locked.questions.exists():
        raise ValidationError({"status": _("Add a question before opening the survey.")})
    before = {"status": locked.status}
    locked.status = status
    changes = audit.diff(before, {"status": status})
    if not changes:
        return locked
    locked.version = F("version") + 1
    locked.save()
    locked.refresh_from_db()
    audit.record(actor=actor, action=AuditAction.UPDATE, instance=locked, changes=changes)
    return locked


def _clean_choices(question: Question) -> None:
    if question.kind not in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
        question.choices = []
        return
    raw = question.choices
    if isinstance(raw, str):
        raw = raw.splitlines()
    if not isinstance(raw, (list, tuple)) or not all(isinstance(c, str) for c in raw):
        raise ValidationError({"choices": _("Enter the choices, one per line.")})
    choices = []
    for choice in raw:
        text = " ".join(choice.split())[:200]
        if text and text not in choices:
            choices.append(text)
    if not 2 <= len(choices) <= MAX_CHOICES:
        raise ValidationError(
            {"choices": _("Enter between 2 and %(n)d different choices.") % {"n": MAX_CHOICES}}
        )
    question.choices = choices


def _prepare_question(question: Question) -> None:
    _text(question, "text")
    if question.kind not in QuestionKind.values:
        raise ValidationError({"kind": _("Choose a kind of question.")})
    _clean_choices(question)
    if question.kind == QuestionKind.SCALE:
        if question.scale_min is None or question.scale_max is None:
            raise ValidationError({"scale_max": _("Enter both ends of the scale.")})
        if not -100 <= question.scale_min < question.scale_max <= 100:
            raise ValidationError(
                {"scale_max": _("The scale must go up from its start, between -100 and 100.")}
            )
    question.full_clean(exclude=["survey"], validate_unique=False)
    if question.kind in (QuestionKind.CSAT, QuestionKind.NPS):
        twin = Question.objects.filter(survey_id=question.survey_id, kind=question.kind).exclude(
            pk=question.pk
        )
        if twin.exists():
            raise ValidationError({"kind": _("A survey has at most one question of this kind.")})


def _editable_questions(actor: User, survey: Survey) -> Survey:
    locked = _lock_survey(survey)
    if not may_edit_survey(actor, locked):
        raise PermissionDeniedError()
    if locked.status != SurveyStatus.DRAFT:
        raise ValidationError(_("Questions can change only while the survey is a draft."))
    return locked


@transaction.atomic
def add_question(*, actor: User, survey: Survey, data: dict[str, Any]) -> Question:
    _unknown(data, QUESTION_FIELDS)
    locked = _editable_questions(actor, survey)
    question = Question(survey=locked, **data)
    if "position" not in data:
        last = locked.questions.aggregate(m=Max("position"))["m"]
        question.position = (last or 0) + 10
    _prepare_question(question)
    question.save()
    audit.record_create(actor=actor, instance=question, fields=QUESTION_FIELDS)
    return question


@transaction.atomic
def update_question(
    *, actor: User, question: Question, data: dict[str, Any], version: int | None
) -> Question:
    _unknown(data, QUESTION_FIELDS)
    _editable_questions(actor, question.survey)
    locked = Question.objects.select_for_update().get(pk=question.pk)
    check_version(locked, version)
    before = audit.snapshot(locked, QUESTION_FIELDS)
    for field, value in data.items():
        setattr(locked, field, value)
    _prepare_question(locked)
    return _save(actor, locked, before, QUESTION_FIELDS)


@transaction.atomic
def delete_question(*, actor: User, question: Question) -> None:
    _editable_questions(actor, question.survey)
    audit.record(actor=actor, action=AuditAction.DELETE, instance=question)
    question.delete()


# --- links ------------------------------------------------------------------------------------


def make_token(link: SurveyLink) -> str:
    """The signed token of a link: it names the link, its survey and its customer. The same
    link always gives the same token (no timestamp: a link does not expire by its token)."""
    return signing.Signer(salt=TOKEN_SALT).sign_object([link.pk, link.survey_id, link.customer_id])


def _token_values(token: str):
    if token.count(":") == 2:
        # payload:timestamp:signature, as tokens were made before: they still open their survey.
        return signing.loads(token, salt=TOKEN_SALT)
    return signing.Signer(salt=TOKEN_SALT).unsign_object(token)


def link_from_token(token: str) -> SurveyLink:
    """The link a token names; SurveyLink.DoesNotExist when the token is forged or altered."""
    try:
        pk, survey_id, customer_id = _token_values(token)
        if not all(type(v) is int for v in (pk, survey_id, customer_id)):
            raise ValueError(token)
    except (signing.BadSignature, ValueError, TypeError):
        raise SurveyLink.DoesNotExist from None
    return SurveyLink.objects.select_related("survey", "customer").get(
        pk=pk, survey_id=survey_id, customer_id=customer_id, customer__deleted_at__isnull=True
    )


def link_url(link: SurveyLink) -> str:
    return reverse("surveys:answer", args=[make_token(link)])


def absolute_url(path: str) -> str:
    return settings.PUBLIC_BASE_URL.rstrip("/") + path


@transaction.atomic
def get_or_create_link(*, actor: User, survey: Survey, customer: Customer) -> SurveyLink:
    """The link of one customer for one survey (made once; its expiry moves forward when it is
    asked for again)."""
    _require(actor, "create")
    if survey.status != SurveyStatus.ACTIVE:
        raise ValidationError(_("Open the survey before sending it."))
    if customer.deleted_at is not None or not can_see(actor, customer):
        raise ValidationError({"customer": _("There is no such customer.")})
    expires = timezone.now() + dt.timedelta(days=settings.SURVEY_LINK_DAYS)
    if survey.closes_at and survey.closes_at < expires:
        expires = survey.closes_at
    link = SurveyLink.objects.select_for_update().filter(survey=survey, customer=customer).first()
    if link is None:
        try:
            with transaction.atomic():
                link = SurveyLink.objects.create(
                    survey=survey, customer=customer, created_by=actor, expires_at=expires
                )
        except IntegrityError:  # made by a concurrent request meanwhile
            link = SurveyLink.objects.get(survey=survey, customer=customer)
        audit.record(
            actor=actor,
            action=AuditAction.CREATE,
            instance=link,
            changes={"survey": [None, survey.pk]},
            customer_id=customer.pk,
        )
    elif link.expires_at < expires:
        link.expires_at = expires
        link.save(update_fields=["expires_at"])
    return link


def customer_email(customer: Customer) -> str:
    point = (
        ContactPoint.objects.filter(customer=customer, kind=ContactPointKind.EMAIL)
        .order_by("-is_primary", "id")
        .first()
    )
    return point.value if point else ""


@transaction.atomic
def send_survey(*, actor: User, survey: Survey, customers: list[Customer]) -> dict[str, Any]:
    """Links for these customers; those with an e-mail address get it by e-mail (a background
    job once this transaction commits).

    Returns {"links": [...], "emailed": n, "no_email": [customers without an address]}."""
    from guanxi.jobs.services import start_job

    if len(customers) > MAX_SEND:
        raise ValidationError(
            {"customers": _("Send to at most %(n)d customers at a time.") % {"n": MAX_SEND}}
        )
    links, to_mail, no_email = [], [], []
    for customer in customers:
        link = get_or_create_link(actor=actor, survey=survey, customer=customer)
        links.append(link)
        email = customer_email(customer)
        if email:
            SurveyLink.objects.filter(pk=link.pk).update(emailed_to=email)
            to_mail.append(link.pk)
        else:
            no_email.append(customer)
    if to_mail:
        start_job(kind="surveys.send_links", actor=actor, params={"links": to_mail})
    return {"links": links, "emailed": len(to_mail), "no_email": no_email}


def email_link(link: SurveyLink) -> bool:
    """Send one link to its customer's address (in Chinese, with the English text below)."""
    from django.core.mail import send_mail

    if not link.emailed_to or link.sent_at is not None:
        return False
    url = absolute_url(link_url(link))
    parts = []
    for language in ("zh-hans", "en"):
        with translation.override(language):
            parts.append(
                _("Please tell us what you think: %(title)s") % {"title": link.survey.title}
                + "\n"
                + _("Answer here (the link is for you only): %(url)s")
                % {"url": url + ("?lang=en" if language == "en" else "")}
            )
    with translation.override("zh-hans"):
        subject = _("Survey: %(title)s") % {"title": link.survey.title}
    send_mail(subject, "\n\n".join(parts), None, [link.emailed_to])
    SurveyLink.objects.filter(pk=link.pk).update(sent_at=timezone.now())
    return True


# --- answers ----------------------------------------------------------------------------------


def _int_in(value: Any, low: int, high: int, message: str) -> int:
    if isinstance(value, bool):
        raise ValidationError(message)
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        raise ValidationError(message) from None
    if not low <= number <= high:
        raise ValidationError(message)
    return number


def clean_answers(questions: list[Question], raw: dict[str, Any]) -> dict[str, Any]:
    """Answers by question id (as text) checked against the questions; field-level errors keyed
    "q<id>". Multiple-choice answers are lists; unknown keys are ignored."""
    errors: dict[str, str] = {}
    answers: dict[str, Any] = {}
    for q in questions:
        key = str(q.pk)
        value = raw.get(key)
        empty = value in (None, "", []) or (isinstance(value, str) and not value.strip())
        if empty:
            if q.required:
                errors[f"q{q.pk}"] = _("Please answer this question.")
            continue
        try:
            if q.kind == QuestionKind.CSAT:
                answers[key] = _int_in(value, 1, 5, _("Choose a score from 1 to 5."))
            elif q.kind == QuestionKind.NPS:
                answers[key] = _int_in(value, 0, 10, _("Choose a score from 0 to 10."))
            elif q.kind == QuestionKind.SCALE:
                answers[key] = _int_in(
                    value,
                    q.scale_min,
                    q.scale_max,
                    _("Choose a value from %(a)d to %(b)d.") % {"a": q.scale_min, "b": q.scale_max},
                )
            elif q.kind == QuestionKind.SINGLE:
                if not isinstance(value, str) or value not in q.choices:
                    raise ValidationError(_("Choose one of the answers given."))
                answers[key] = value
            elif q.kind == QuestionKind.MULTIPLE:
                values = value if isinstance(value, (list, tuple)) else [value]
                if not all(isinstance(v, str) and v in q.choices for v in values):
                    raise ValidationError(_("Choose among the answers given."))
                answers[key] = [c for c in q.choices if c in values]
            else:
                if not isinstance(value, str):
                    raise ValidationError(_("Enter text."))
                text = value.strip()
                if len(text) > MAX_TEXT_ANSWER:
                    raise ValidationError(
                        _("Keep the answer under %(n)d characters.") % {"n": MAX_TEXT_ANSWER}
                    )
                answers[key] = text
        except ValidationError as exc:
            errors[f"q{q.pk}"] = exc.messages[0]
    if errors:
        raise ValidationError(errors)
    return answers


def _score(questions: list[Question], answers: dict[str, Any], kind: str) -> int | None:
    for q in questions:
        if q.kind == kind and str(q.pk) in answers:
            return answers[str(q.pk)]
    return None


def is_low(survey: Survey, response: Response) -> bool:
    return (response.csat is not None and response.csat <= survey.low_csat) or (
        response.nps is not None and response.nps <= survey.low_nps
    )


@transaction.atomic
def submit_response(*, link: SurveyLink, answers: dict[str, Any], language: str = "") -> Response:
    """A customer's answer through their link (no user: the link is the credential). The
    answer may be changed until the survey closes; a low score makes one follow-up task for the
    customer's owner per response."""
    link = (
        SurveyLink.objects.select_for_update().select_related("survey", "customer").get(pk=link.pk)
    )
    survey = link.survey
    if not survey.accepts_answers:
        raise ValidationError(_("This survey is closed."))
    if link.expired:
        raise ValidationError(_("This link has expired."))
    questions = list(survey.questions.order_by("position", "id"))
    cleaned = clean_answers(questions, answers)
    now = timezone.now()
    response = Response.objects.filter(link=link).first()
    if response is None:
        response = Response(link=link, survey=survey, customer=link.customer, submitted_at=now)
    else:
        response.changed_at = now
    response.answers = cleaned
    response.csat = _score(questions, cleaned, QuestionKind.CSAT)
    response.nps = _score(questions, cleaned, QuestionKind.NPS)
    response.language = (language or "")[:10]
    created = response.pk is None
    response.save()
    audit.record(
        actor=None,
        action=AuditAction.CREATE if created else AuditAction.UPDATE,
        instance=response,
        changes={"csat": [None, response.csat], "nps": [None, response.nps]},
        customer_id=link.customer_id,
    )
    if response.followup_task_id is None and is_low(survey, response):
        task = _low_score_task(survey, response)
        if task is not None:
            Response.objects.filter(pk=response.pk).update(followup_task=task)
            response.followup_task = task
    return response


def _low_score_task(survey: Survey, response: Response):
    """A follow-up task for the customer's owner (or, without one, for the survey's author),
    made through the followups services as that user."""
    from guanxi.followups import services as followups

    customer = response.customer
    assignee = customer.owner or survey.created_by
    if assignee is None or not assignee.is_active:
        log.warning(
            "low score on survey %s: nobody to follow up customer %s", survey.pk, customer.pk
        )
        return None
    scores = []
    if response.csat is not None:
        scores.append(f"CSAT {response.csat}/5")
    if response.nps is not None:
        scores.append(f"NPS {response.nps}/10")
    with translation.override(assignee.language or settings.LANGUAGE_CODE):
        title = _("Low score from %(name)s: follow up") % {"name": customer.display_name}
        notes = _("Survey “%(title)s”: %(scores)s.") % {
            "title": survey.title,
            "scores": ", ".join(scores),
        }
    try:
        return followups.create_task(
            actor=assignee,
            data={
                "customer": customer if can_see(assignee, customer) else None,
                "kind": "follow_up",
                "title": title[:200],
                "notes": notes,
                "assignee": assignee,
                "due_at": timezone.now() + dt.timedelta(days=1),
                "priority": "high",
            },
        )
    except (PermissionDeniedError, ValidationError):
        log.warning("could not make the low-score task for response %s", response.pk)
        return None


# --- improvement actions ----------------------------------------------------------------------


def _check_action_links(actor: User, action: ImprovementAction, data: dict[str, Any]) -> None:
    """A ticket or need newly linked to an action must be one the actor may see (else: no
    such); a link kept as it was stays, whoever edits the action."""
    from guanxi.needs.selectors import need_list
    from guanxi.tickets.selectors import ticket_list

    for field, selector in (("ticket", ticket_list), ("need", need_list)):
        value = data.get(field)
        if value is None:
            continue
        pk = getattr(value, "pk", value)
        if action.pk and pk == getattr(action, f"{field}_id"):
            continue  # kept as it was: its owner may not see it
        if not selector(user=actor).filter(pk=pk).exists():
            raise ValidationError({field: _("There is no such record.")})


def _prepare_action(actor: User, action: ImprovementAction, data: dict[str, Any], previous_owner):
    _unknown(data, ACTION_FIELDS)
    _check_action_links(actor, action, data)
    for field, value in data.items():
        setattr(action, field, value)
    _text(action, "title")
    _text(action, "theme", required=False)
    action.description = (action.description or "").strip()
    if action.owner_id is None:
        raise ValidationError({"owner": _("This field is required.")})
    if action.owner_id != previous_owner and not action.owner.is_active:
        raise ValidationError({"owner": _("This user is not active.")})
    if action.status not in ActionStatus.values:
        raise ValidationError({"status": _("Choose a status.")})
    action.full_clean(
        exclude=["owner", "survey", "ticket", "need", "created_by"], validate_unique=False
    )


@transaction.atomic
def create_action(*, actor: User, data: dict[str, Any]) -> ImprovementAction:
    _require(actor, "create")
    data = dict(data)
    data.setdefault("owner", actor)
    action = ImprovementAction(created_by=actor if actor.pk else None)
    _prepare_action(actor, action, data, None)
    action.save()
    audit.record_create(actor=actor, instance=action, fields=ACTION_FIELDS)
    return action


@transaction.atomic
def update_action(
    *, actor: User, action: ImprovementAction, data: dict[str, Any], version: int | None
) -> ImprovementAction:
    locked = ImprovementAction.objects.select_for_update().get(pk=action.pk)
    check_version(locked, version)
    if not may_change_action(actor, locked):
        raise PermissionDeniedError()
    before = audit.snapshot(locked, ACTION_FIELDS)
    _prepare_action(actor, locked, data, locked.owner_id)
    return _save(actor, locked, before, ACTION_FIELDS)


@transaction.atomic
def delete_action(*, actor: User, action: ImprovementAction) -> None:
    if not has_perm(actor, "surveys", "delete"):
        raise PermissionDeniedError()
    audit.record(actor=actor, action=AuditAction.DELETE, instance=action)
    action.delete()
