"""relgate's example schema: people, computers (owner), articles (author); tables as the Flask apps'.

The JSON:API type of each model is its ``JSONAPIMeta.resource_name`` (gateway.example.toml's names).
"""

from django.db import models


class Person(models.Model):
    name = models.CharField(max_length=200, unique=True)
    age = models.IntegerField(null=True, blank=True)
    birth_date = models.DateField(null=True, blank=True)

    class Meta:
        db_table = "person"
        ordering = ["id"]

    class JSONAPIMeta:
        resource_name = "people"


class Computer(models.Model):
    name = models.CharField(max_length=200, unique=True)
    vendor = models.CharField(max_length=200, null=True, blank=True)
    purchase_time = models.DateTimeField(null=True, blank=True)
    owner = models.ForeignKey(Person, null=True, blank=True, related_name="computers", on_delete=models.SET_NULL)

    class Meta:
        db_table = "computer"
        ordering = ["id"]

    class JSONAPIMeta:
        resource_name = "computers"


class Article(models.Model):
    title = models.CharField(max_length=200)
    author = models.ForeignKey(Person, null=True, blank=True, related_name="articles", on_delete=models.SET_NULL)

    class Meta:
        db_table = "article"
        ordering = ["id"]

    class JSONAPIMeta:
        resource_name = "articles"
