from __future__ import annotations

import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import filters, status
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from guanxi.accounts.policies import has_perm
from guanxi.core.api.viewsets import ServiceViewSet
from guanxi.tickets import selectors, services
from guanxi.tickets.models import Priority, TicketKind, TicketSource, TicketStatus

from .serializers import (
    ArticleLinkSerializer,
    LinkedArticleSerializer,
    ReplySerializer,
    TicketSerializer,
    TransitionSerializer,
)


class TicketFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=TicketStatus.choices)
    kind = django_filters.MultipleChoiceFilter(choices=TicketKind.choices)
    priority = django_filters.MultipleChoiceFilter(choices=Priority.choices)
    category = django_filters.NumberFilter(field_name="category_id")
    assignee = django_filters.NumberFilter(field_name="assignee_id")
    customer = django_filters.NumberFilter(field_name="customer_id")
    breach = django_filters.ChoiceFilter(
        choices=[(k, k) for k in selectors.BREACH_FILTERS], method="filter_breach"
    )
    mine = django_filters.BooleanFilter(method="filter_mine")

    def filter_breach(self, queryset, name, value):
        return queryset.filter(selectors.breach_q(value))

    def filter_mine(self, queryset, name, value):
        return queryset.filter(assignee_id=self.request.user.pk) if value else queryset


class TicketViewSet(ServiceViewSet):
    """Service tickets: those of customers the user may see, and those assigned to them."""

    module = "tickets"
    module_actions = {"transition": "change", "replies": "view"}
    serializer_class = TicketSerializer
    filter_backends = [django_filters.rest_framework.DjangoFilterBackend, filters.OrderingFilter]
    filterset_class = TicketFilter
    ordering_fields = ["id", "created_at", "resolution_due_at"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    @property
    def ordering(self):
        return ["-id"]

    def select(self, user):
        return selectors.ticket_list(user=user).select_related("assignee", "category")

    def create_record(self, *, actor, data):
        return services.create_ticket(actor=actor, data=data, source=TicketSource.API)

    def update_record(self, *, actor, instance, data, version):
        return services.update_ticket(actor=actor, ticket=instance, data=data, version=version)

    @extend_schema(request=TransitionSerializer, responses=TicketSerializer)
    @action(detail=True, methods=["post"], filter_backends=[])
    def transition(self, request, pk=None):
        """Move the ticket along its status flow: start, wait, resume, resolve, close, reopen."""
        instance = self.get_object()
        body = TransitionSerializer(data=request.data or {})
        body.is_valid(raise_exception=True)
        ticket = services.change_status(
            actor=request.user,
            ticket=instance,
            action=body.validated_data["action"],
            version=body.validated_data.get("version"),
        )
        return self.output(ticket)

    @extend_schema(methods=["get"], responses=ReplySerializer(many=True))
    @extend_schema(methods=["post"], request=ReplySerializer, responses=ReplySerializer)
    @action(detail=True, methods=["get", "post"], filter_backends=[], pagination_class=None)
    def replies(self, request, pk=None):
        """The replies (public) and internal notes of a ticket, oldest first; POST adds one."""
        instance = self.get_object()
        if request.method == "POST":
            if not has_perm(request.user, "tickets", "change"):
                raise PermissionDenied()
            body = ReplySerializer(data=request.data or {})
            body.is_valid(raise_exception=True)
            reply = services.add_reply(
                actor=request.user,
                ticket=instance,
                body=body.validated_data["body"],
                public=body.validated_data.get("is_public", True),
            )
            return Response(ReplySerializer(reply).data, status=status.HTTP_201_CREATED)
        rows = selectors.replies(user=request.user, ticket=instance)[:500]
        return Response(ReplySerializer(rows, many=True).data)

    @extend_schema(
        methods=["post"],
        request=ArticleLinkSerializer,
        responses=LinkedArticleSerializer(many=True),
    )
    @extend_schema(methods=["get"], responses=LinkedArticleSerializer(many=True))
    @action(detail=True, methods=["get", "post"], filter_backends=[], pagination_class=None)
    def articles(self, request, pk=None):
        """Knowledge-base articles linked to the ticket (those the user may read); POST links
        one, or unlinks it with `"linked": false`."""
        instance = self.get_object()
        if request.method == "POST":
            if not has_perm(request.user, "tickets", "change"):
                raise PermissionDenied()
            body = ArticleLinkSerializer(data=request.data or {})
            body.is_valid(raise_exception=True)
            services.link_article(
                actor=request.user,
                ticket=instance,
                article_id=body.validated_data["article"],
                linked=body.validated_data["linked"],
            )
        rows = selectors.linked_articles(user=request.user, ticket=instance)
        return Response(LinkedArticleSerializer(rows, many=True).data)
