from __future__ import annotations

from rest_framework import serializers

from guanxi.accounts.models import User
from guanxi.core.api.serializers import StrictSerializerMixin, VersionField
from guanxi.kb.models import MAX_BODY, Article, ArticleRevision, Category


class ArticleSerializer(StrictSerializerMixin, serializers.ModelSerializer):
    category = serializers.PrimaryKeyRelatedField(
        queryset=Category.objects.all(), required=False, allow_null=True
    )
    owner = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), required=False, allow_null=True
    )
    tags = serializers.ListField(
        child=serializers.CharField(max_length=30, allow_blank=True), required=False, max_length=20
    )
    body = serializers.CharField(required=False, allow_blank=True, max_length=MAX_BODY)
    note = serializers.CharField(
        required=False, allow_blank=True, max_length=200, write_only=True,
        help_text="What changed (kept with the new revision).",
    )  # fmt: skip
    version = VersionField()

    class Meta:
        model = Article
        fields = [
            "id",
            "title",
            "body",
            "body_html",
            "category",
            "tags",
            "status",
            "owner",
            "review_due_on",
            "helpful_yes",
            "helpful_no",
            "revision",
            "note",
            "version",
            "published_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "id",
            "body_html",
            "helpful_yes",
            "helpful_no",
            "revision",
            "published_at",
            "created_at",
            "updated_at",
        ]


class ArticleRevisionSerializer(serializers.ModelSerializer):
    author_name = serializers.SerializerMethodField()

    class Meta:
        model = ArticleRevision
        fields = [
            "number", "title", "body", "category_name", "tags", "author", "author_name", "note",
            "created_at",
        ]  # fmt: skip

    def get_author_name(self, obj: ArticleRevision) -> str:
        return str(obj.author) if obj.author_id else ""


class ArticleRestoreSerializer(StrictSerializerMixin, serializers.Serializer):
    revision = serializers.IntegerField(min_value=1, max_value=2**31 - 1)
    version = VersionField()


class ArticleFeedbackSerializer(StrictSerializerMixin, serializers.Serializer):
    helpful = serializers.BooleanField()


class ArticleCategorySerializer(StrictSerializerMixin, serializers.ModelSerializer):
    version = VersionField()

    class Meta:
        model = Category
        fields = ["id", "name", "position", "version"]
        read_only_fields = ["id"]
        extra_kwargs = {"position": {"max_value": 10_000}}
