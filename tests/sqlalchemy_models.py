"""SQLAlchemy models for ``relgate init --from-sqlalchemy`` and :func:`relgate.schema.from_sqlalchemy`."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    pass


article_tags = sa.Table(
    "article_tags",
    Base.metadata,
    sa.Column("article_id", sa.ForeignKey("articles.id"), primary_key=True),
    sa.Column("tag_id", sa.ForeignKey("tags.id"), primary_key=True),
)


class Person(Base):
    __tablename__ = "people"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(80), unique=True)
    age: Mapped[int | None]
    birth_date: Mapped[dt.date | None]
    score: Mapped[float | None] = mapped_column(sa.Numeric(10, 2))
    active: Mapped[bool] = mapped_column(default=True)
    settings: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    articles: Mapped[list[Article]] = relationship(back_populates="author")
    profile: Mapped[Profile | None] = relationship(back_populates="person")


class Article(Base):
    __tablename__ = "articles"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str | None]
    published: Mapped[dt.datetime | None]
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("people.id"))
    author: Mapped[Person | None] = relationship(back_populates="articles")
    tags: Mapped[list[Tag]] = relationship(secondary=article_tags, backref="articles")


class Tag(Base):
    __tablename__ = "tags"
    id: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    label: Mapped[str | None]


class Profile(Base):
    __tablename__ = "profiles"
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    bio: Mapped[str | None] = mapped_column(sa.Text)
    type: Mapped[str | None]  # reserved in relgate: left out with a note
    person_id: Mapped[int | None] = mapped_column(sa.ForeignKey("people.id"), unique=True)
    person: Mapped[Person | None] = relationship(back_populates="profile")


class Reading(Base):
    """A composite primary key: relgate types have one id, so this one is left out."""

    __tablename__ = "readings"
    sensor: Mapped[str] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(primary_key=True)
    value: Mapped[float | None]
