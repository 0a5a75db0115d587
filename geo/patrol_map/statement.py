"""A `Description` in one language: the title, the statement lines (R47) and the file's metadata (R38).

The marking stays in English and category codes stay codes; the parts the engine stated are formatted
with the language's texts (`geo.patrol_map.wording`), and what it did not state in parts is printed as
given. In English the statement is exactly ``ProductInfo.lines()``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from geo.patrol_map.description import Description, describe
from geo.patrol_map.labels import Labels, labels
from geo.patrol_map.wording import Title, format_lattice, format_method, format_title
from geo.products import ProductInfo


@dataclass(frozen=True, slots=True)
class Statement:
    """What a product states, formatted in the language of ``words``."""

    description: Description
    words: Labels

    def title(self) -> str:
        return format_title(self.description.title, self.words)

    def period(self) -> str:
        """The first and the last day included, ISO dates."""
        first, last = self.description.first_day, self.description.last_day
        return self.words.text("statement.range", since=first.isoformat(), until=last.isoformat())

    def lattice(self) -> str:
        return format_lattice(self.description.lattice, self.words)

    def method(self) -> str:
        """The method's phrases in the language, the text between them as given but for its separators."""
        return format_method(self.description.method, self.words)

    def caveat(self) -> str:
        caveat = self.description.caveat
        return self.words.text("statement.caveat_text") if caveat is None else caveat

    def creator(self) -> str:
        return self.words.text("page.creator")

    def lines(self) -> list[str]:
        """The statement every product carries, one line each (R47)."""
        about = self.description

        def line(key: str, **fields: object) -> str:
            return self.words.text(f"statement.{key}", **fields)

        categories = ", ".join(about.categories) or line("all_categories")  # codes stay codes, in Latin
        return [
            about.classification,
            self.title(),
            line("period", period=self.period()),
            line("categories", categories=categories),
            line("cells", cells=self.lattice(), incidents=about.incidents),
            line("suppressed", k=about.k, suppressed=about.suppressed_cells),
            *([line("not_placed", count=about.not_placed)] if about.not_placed else []),
            *([line("points_left_out", count=about.points_left_out)] if about.points_left_out else []),
            *([line("method", method=self.method())] if about.method else []),
            line("caveat", caveat=self.caveat()),
        ]

    def pdf_metadata(self) -> dict[str, Any]:
        """PDF document information: the classification and the statement (R38, R47).

        The Keywords start with the English marking, whatever the language, so that a search finds it.
        """
        about = self.description
        lines = self.lines()
        metadata: dict[str, Any] = {
            "Title": f"{lines[1]} [{about.classification}]",
            "Subject": " | ".join(lines),
            "Keywords": ", ".join(
                [about.classification, *about.categories, self.period(), self.caveat(), self.creator()]
            ),
            "Author": "Dalili",
            "Creator": self.creator(),
        }
        if about.generated_at is not None:
            metadata["CreationDate"] = about.generated_at
        return metadata

    def png_metadata(self) -> dict[str, str]:
        """PNG text chunks: the classification (in English) and the statement (R38, R47)."""
        about = self.description
        lines = self.lines()
        metadata = {
            "Title": f"{lines[1]} [{about.classification}]",
            "Description": "\n".join(lines),
            "Classification": about.classification,
            "Disclaimer": self.caveat(),
            "Source": self.creator(),
        }
        if about.generated_at is not None:
            metadata["Creation Time"] = about.generated_at.isoformat()
        return metadata


def statement(info: ProductInfo, language: str = "en") -> Statement:
    """What ``info`` states, in ``language``; ValueError for a language without a table."""
    return Statement(describe(info), labels(language))


def statement_lines(info: ProductInfo, language: str = "en") -> list[str]:
    """`ProductInfo.lines()` in ``language``: the statement every product carries, one line each (R47)."""
    return statement(info, language).lines()


def pdf_metadata(info: ProductInfo, language: str = "en") -> dict[str, Any]:
    """PDF document information in ``language`` (`Statement.pdf_metadata`)."""
    return statement(info, language).pdf_metadata()


def png_metadata(info: ProductInfo, language: str = "en") -> dict[str, str]:
    """PNG text chunks in ``language`` (`Statement.png_metadata`)."""
    return statement(info, language).png_metadata()


def localized_title(title: Title | str, language: str = "en") -> str:
    """A title the hotspot engine stated (`Title`), in ``language``; a title written freely as given.

    ``Title("emerging", "admin", "CF43")`` is ``Emerging hotspots of verified incidents in CF43 (admin
    cells)`` in English and ``Points chauds émergents des incidents vérifiés dans CF43 (mailles
    administratives)`` in French: the area is a name or a P-code and stays as it is.
    """
    return format_title(title, labels(language))
