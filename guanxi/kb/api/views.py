from __future__ import annotations

import django_filters
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import filters
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError

from guanxi.core.api.viewsets import ServiceViewSet
from guanxi.kb import selectors, services
from guanxi.kb.models import ArticleStatus

from .serializers import (
    ArticleCategorySerializer,
    ArticleFeedbackSerializer,
    ArticleRestoreSerializer,
    ArticleRevisionSerializer,
    ArticleSerializer,
)


class ArticleFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=ArticleStatus.choices)
    category = django_filters.NumberFilter(field_name="category_id")
    owner = django_filters.NumberFilter(field_name="owner_id")
    review_due_before = django_filters.DateFilter(field_name="review_due_on", lookup_expr="lte")


class ArticleSearch(filters.BaseFilterBackend):
    """`?search=` finds articles containing every word, best matches first (at most 50)."""

    def filter_queryset(self, request, queryset, view):
        query = request.query_params.get("search", "").strip()
        return selectors.search(queryset, query) if query else queryset

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": "search",
                "required": False,
                "in": "query",
                "description": "Words that must all appear (Chinese or English).",
                "schema": {"type": "string"},
            }
        ]


def _edit_data(validated: dict) -> tuple[dict, str]:
    data = dict(validated)
    data.pop("version", None)
    note = data.pop("note", "")
    return data, note


@extend_schema_view(
    list=extend_schema(parameters=[OpenApiParameter("tag", str, description="Articles with tag")])
)
class ArticleViewSet(ServiceViewSet):
    """Knowledge-base articles: published ones for every reader, drafts for their owner and
    editors. Each content change keeps a revision; `revisions` lists them, `restore` brings one
    back as a new revision."""

    module = "articles"
    module_actions = {"restore": "change", "feedback": "view", "revisions": "view"}
    serializer_class = ArticleSerializer
    filter_backends = [
        django_filters.rest_framework.DjangoFilterBackend,
        filters.OrderingFilter,
        ArticleSearch,  # last: it ranks and caps the result
    ]
    filterset_class = ArticleFilter
    ordering_fields = ["id", "updated_at", "title"]
    ordering = ["-id"]

    def select(self, user):
        qs = selectors.article_list(user=user).select_related("category", "owner")
        tag = self.request.query_params.get("tag") if self.action == "list" else None
        if tag:
            ids = [pk for pk, tags in qs.values_list("pk", "tags")[:5000] if tag in (tags or [])]
            qs = qs.filter(pk__in=ids)
        return qs

    def paginate_queryset(self, queryset):
        if self.request.query_params.get("search"):
            return None  # a search answers its best 50 at once, ranked
        return super().paginate_queryset(queryset)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data, note = _edit_data(serializer.validated_data)
        article = services.create_article(actor=request.user, data=data, note=note)
        return self.output(article, 201)

    def partial_update(self, request, *args, **kwargs):
        instance = self.get_object()
        serializer = self.get_serializer(instance, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        if "version" not in serializer.validated_data:
            raise ValidationError({"version": [_("Send the version of the record you edited.")]})
        version = serializer.validated_data["version"]
        data, note = _edit_data(serializer.validated_data)
        article = services.update_article(
            actor=request.user, article=instance, data=data, version=version, note=note
        )
        return self.output(article)

    def delete_record(self, *, actor, instance):
        services.delete_article(actor=actor, article=instance)

    @extend_schema(responses=ArticleRevisionSerializer(many=True))
    @action(detail=True, methods=["get"], filter_backends=[])
    def revisions(self, request, pk=None):
        """Every saved version of the article, newest first."""
        article = self.get_object()
        rows = selectors.revisions(user=request.user, article=article)
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(ArticleRevisionSerializer(page, many=True).data)

    @extend_schema(request=ArticleRestoreSerializer, responses=ArticleSerializer)
    @action(detail=True, methods=["post"], filter_backends=[])
    def restore(self, request, pk=None):
        """Make an earlier revision the current content (kept as a new revision)."""
        article = self.get_object()
        body = ArticleRestoreSerializer(data=request.data or {})
        body.is_valid(raise_exception=True)
        restored = services.restore_revision(
            actor=request.user,
            article=article,
            number=body.validated_data["revision"],
            version=body.validated_data.get("version"),
        )
        return self.output(restored)

    @extend_schema(request=ArticleFeedbackSerializer, responses=ArticleSerializer)
    @action(detail=True, methods=["post"], filter_backends=[])
    def feedback(self, request, pk=None):
        """Was this article helpful? One answer per reader; answering again changes it."""
        article = self.get_object()
        body = ArticleFeedbackSerializer(data=request.data or {})
        body.is_valid(raise_exception=True)
        updated = services.record_feedback(
            actor=request.user, article=article, helpful=body.validated_data["helpful"]
        )
        return self.output(updated)


class ArticleCategoryViewSet(ServiceViewSet):
    """Categories of the knowledge base; changed by those who may change articles."""

    module = "articles"
    serializer_class = ArticleCategorySerializer
    ordering = ["position", "name"]
    module_actions = {"create": "change", "partial_update": "change", "destroy": "change"}

    def select(self, user):
        return selectors.categories()

    def create_record(self, *, actor, data):
        return services.save_category(
            actor=actor, category=None, name=data["name"], position=data.get("position", 0)
        )

    def update_record(self, *, actor, instance, data, version):
        return services.save_category(
            actor=actor,
            category=instance,
            name=data.get("name", instance.name),
            position=data.get("position", instance.position),
            version=version,
        )

    def delete_record(self, *, actor, instance):
        services.delete_category(actor=actor, category=instance)
