"""Resource views (``ModelViewSet``) and relationship views (``RelationshipView``) per type."""

from rest_framework_json_api.views import ModelViewSet, RelationshipView

from library.models import Article, Computer, Person
from library.serializers import ArticleSerializer, ComputerSerializer, PersonSerializer


class PersonViewSet(ModelViewSet):
    queryset = Person.objects.all()
    serializer_class = PersonSerializer
    filterset_fields = {"id": ("exact", "in"), "name": ("exact", "in", "icontains"), "age": ("exact", "lt", "gt")}
    ordering_fields = ("id", "name", "age", "birth_date")


class ComputerViewSet(ModelViewSet):
    queryset = Computer.objects.all()
    serializer_class = ComputerSerializer
    filterset_fields = {"id": ("exact", "in"), "name": ("exact", "in"), "vendor": ("exact", "in"), "owner": ("exact", "isnull")}
    ordering_fields = ("id", "name", "vendor", "purchase_time")


class ArticleViewSet(ModelViewSet):
    queryset = Article.objects.all()
    serializer_class = ArticleSerializer
    filterset_fields = {"id": ("exact", "in"), "title": ("exact", "icontains"), "author": ("exact", "isnull")}
    ordering_fields = ("id", "title")


class PersonRelationshipView(RelationshipView):
    queryset = Person.objects.all()
    self_link_view_name = "person-relationships"


class ComputerRelationshipView(RelationshipView):
    queryset = Computer.objects.all()
    self_link_view_name = "computer-relationships"


class ArticleRelationshipView(RelationshipView):
    queryset = Article.objects.all()
    self_link_view_name = "article-relationships"
