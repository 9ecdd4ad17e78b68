from __future__ import annotations

import django_filters
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import filters, status
from rest_framework.decorators import action
from rest_framework.response import Response

from guanxi.core.api.viewsets import ServiceViewSet
from guanxi.surveys import selectors, services
from guanxi.surveys.models import ActionStatus, SurveyKind, SurveyStatus

from .serializers import (
    ImprovementActionSerializer,
    LinkRequestSerializer,
    LinkSerializer,
    QuestionSerializer,
    ResponseSerializer,
    StatusSerializer,
    SurveySerializer,
)


class SurveyFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=SurveyStatus.choices)
    kind = django_filters.MultipleChoiceFilter(choices=SurveyKind.choices)


class SurveyViewSet(ServiceViewSet):
    """Surveys with their questions. Answers: GET /surveys/{id}/responses/ (only those of
    customers the user may see); a customer's link: POST /surveys/{id}/links/."""

    module = "surveys"
    module_actions = {
        "status": "view",
        "questions": "view",
        "question": "view",
        "links": "create",
        "responses": "view",
        "partial_update": "view",  # the service decides: `change`, or `create` on one's own
    }
    http_method_names = ["get", "post", "patch", "head", "options"]
    serializer_class = SurveySerializer
    filter_backends = [django_filters.rest_framework.DjangoFilterBackend, filters.OrderingFilter]
    filterset_class = SurveyFilter
    ordering_fields = ["id", "created_at"]
    ordering = ["-id"]

    def select(self, user):
        return selectors.survey_list(user=user).prefetch_related("questions")

    def create_record(self, *, actor, data):
        return services.create_survey(actor=actor, data=data)

    def update_record(self, *, actor, instance, data, version):
        return services.update_survey(actor=actor, survey=instance, data=data, version=version)

    @extend_schema(request=StatusSerializer, responses=SurveySerializer)
    @action(detail=True, methods=["post"], filter_backends=[])
    def status(self, request, pk=None):
        """Open (active) or close the survey."""
        survey = self.get_object()
        body = StatusSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        result = services.set_survey_status(
            actor=request.user,
            survey=survey,
            status=body.validated_data["status"],
            version=body.validated_data["version"],
        )
        return self.output(result)

    @extend_schema(request=QuestionSerializer, responses=QuestionSerializer)
    @action(detail=True, methods=["post"], filter_backends=[])
    def questions(self, request, pk=None):
        """Add a question (draft surveys only)."""
        survey = self.get_object()
        body = QuestionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        data.pop("version", None)
        question = services.add_question(actor=request.user, survey=survey, data=data)
        return Response(QuestionSerializer(question).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=QuestionSerializer, responses=QuestionSerializer)
    @action(
        detail=True,
        methods=["patch", "delete"],
        url_path=r"questions/(?P<question_id>[0-9]{1,18})",
        filter_backends=[],
    )
    def question(self, request, pk=None, question_id=None):
        survey = self.get_object()
        question = get_object_or_404(survey.questions, pk=question_id)
        if request.method == "DELETE":
            services.delete_question(actor=request.user, question=question)
            return Response(status=status.HTTP_204_NO_CONTENT)
        body = QuestionSerializer(question, data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        version = data.pop("version", None)
        question = services.update_question(
            actor=request.user, question=question, data=data, version=version
        )
        return Response(QuestionSerializer(question).data)

    @extend_schema(request=LinkRequestSerializer, responses=LinkSerializer)
    @action(detail=True, methods=["post"], filter_backends=[])
    def links(self, request, pk=None):
        """The signed answer link of one customer (made once), to copy into any channel."""
        survey = self.get_object()
        body = LinkRequestSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        link = services.get_or_create_link(
            actor=request.user, survey=survey, customer=body.validated_data["customer"]
        )
        data = {
            "customer": link.customer_id,
            "url": services.absolute_url(services.link_url(link)),
            "expires_at": link.expires_at,
        }
        return Response(LinkSerializer(data).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=ResponseSerializer(many=True))
    @action(detail=True, methods=["get"], filter_backends=[])
    def responses(self, request, pk=None):
        """The answers to this survey whose customer the user may see, newest first."""
        survey = self.get_object()
        qs = (
            selectors.response_list(user=request.user)
            .filter(survey=survey)
            .select_related("customer")
            .order_by("-id")
        )
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(ResponseSerializer(page, many=True).data)


class ActionFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=ActionStatus.choices)
    owner = django_filters.NumberFilter(field_name="owner_id")
    survey = django_filters.NumberFilter(field_name="survey_id")
    overdue = django_filters.BooleanFilter(method="filter_overdue")

    def filter_overdue(self, queryset, name, value):
        if value is None:
            return queryset
        late = queryset.filter(
            status__in=(ActionStatus.OPEN, ActionStatus.IN_PROGRESS),
            due_date__lt=timezone.localdate(),
        )
        return late if value else queryset.exclude(pk__in=late.values("pk"))


class ImprovementActionViewSet(ServiceViewSet):
    """Improvement actions taken on what customers said (`overdue=true` for the late ones)."""

    module = "surveys"
    module_actions = {"partial_update": "view"}  # the service decides (see policies)
    serializer_class = ImprovementActionSerializer
    filter_backends = [django_filters.rest_framework.DjangoFilterBackend, filters.OrderingFilter]
    filterset_class = ActionFilter
    ordering_fields = ["id", "due_date", "created_at"]
    ordering = ["-id"]

    def select(self, user):
        return selectors.action_list(user=user).select_related("owner")

    def create_record(self, *, actor, data):
        return services.create_action(actor=actor, data=data)

    def update_record(self, *, actor, instance, data, version):
        return services.update_action(actor=actor, action=instance, data=data, version=version)

    def delete_record(self, *, actor, instance):
        services.delete_action(actor=actor, action=instance)
