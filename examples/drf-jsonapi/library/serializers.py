"""JSON:API serializers; the types are the models' ``JSONAPIMeta.resource_name``."""

from rest_framework_json_api import serializers
from rest_framework_json_api.relations import ResourceRelatedField

from library.models import Article, Computer, Person


def related(model, name, many=False):
    """A relationship with its self (``…/relationships/<name>``) and related (``…/<name>``) links."""
    return ResourceRelatedField(
        queryset=model.objects,
        many=many,
        required=False,
        allow_null=not many,
        related_link_view_name=f"{name}-related",
        related_link_url_kwarg="pk",
        self_link_view_name=f"{name}-relationships",
    )


class PersonSerializer(serializers.ModelSerializer):
    computers = related(Computer, "person", many=True)
    articles = related(Article, "person", many=True)
    included_serializers = {
        "computers": "library.serializers.ComputerSerializer",
        "articles": "library.serializers.ArticleSerializer",
    }

    class Meta:
        model = Person
        fields = ("name", "age", "birth_date", "computers", "articles")


class ComputerSerializer(serializers.ModelSerializer):
    owner = related(Person, "computer")
    included_serializers = {"owner": "library.serializers.PersonSerializer"}

    class Meta:
        model = Computer
        fields = ("name", "vendor", "purchase_time", "owner")


class ArticleSerializer(serializers.ModelSerializer):
    author = related(Person, "article")
    included_serializers = {"author": "library.serializers.PersonSerializer"}

    class Meta:
        model = Article
        fields = ("title", "author")
