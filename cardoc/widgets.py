"""Form fields for the JSON columns staff edit in the console: a list of short texts, and weekly opening hours.

Both render plain inputs on the server and work without JavaScript: the list shows its items plus a few
empty rows (save to get more), the week shows every day with its opening spans (leave a day empty when
closed). What they clean to is exactly the JSON the model stores, so the model's own validators still run.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.datastructures import MultiValueDict
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
LOOSE_TIME = re.compile(r"^(\d{1,2})[:.h](\d{2})$")


class TextListWidget(forms.Widget):
    """One text input per item, in order, plus ``extra`` empty ones; all inputs share the field's name."""

    def __init__(self, *, extra: int = 2, max_length: int | None = None, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs)
        self.extra = extra
        self.max_length = max_length

    def value_from_datadict(self, data: Mapping[str, Any], files: Any, name: str) -> list[str]:
        if isinstance(data, MultiValueDict):
            return data.getlist(name)
        value = data.get(name)
        return list(value) if isinstance(value, list | tuple) else [] if value is None else [str(value)]

    def value_omitted_from_data(self, data: Mapping[str, Any], files: Any, name: str) -> bool:
        return name not in data

    def id_for_label(self, id_: str) -> str:
        return f"{id_}_0" if id_ else id_

    def render(self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None) -> SafeString:
        items = [str(v) for v in value] if isinstance(value, list | tuple) else []
        rows = [*items, *([""] * self.extra)]
        base_id = (attrs or {}).get("id") or f"id_{name}"
        max_length = format_html(' maxlength="{}"', self.max_length) if self.max_length else ""
        inputs = format_html_join(
            "",
            '<li><input type="text" name="{}" id="{}_{}" value="{}" aria-label="Item {}"{}></li>',
            ((name, base_id, index, item, index + 1, max_length) for index, item in enumerate(rows)),
        )
        return format_html(
            '<div class="console-list-widget" id="{}"><ol>{}</ol>'
            '<p class="console-help">One per line, in the order drivers should read them. Empty a line to remove it; '
            "save to get more empty lines.</p></div>",
            base_id,
            inputs,
        )


class TextListField(forms.Field):
    """A list of non-empty, distinct, stripped texts, stored as a JSON array of strings."""

    widget = TextListWidget

    def __init__(self, *, max_items: int = 20, max_length: int = 300, **kwargs: Any) -> None:
        kwargs.setdefault("widget", TextListWidget(max_length=max_length))
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)
        self.max_items = max_items
        self.max_length = max_length

    def to_python(self, value: Any) -> list[str]:
        if value in (None, ""):
            return []
        if not isinstance(value, list | tuple):
            raise ValidationError(_("Give a list of texts."), code="invalid")
        items = []
        for raw in value:
            text = " ".join(str(raw).split())
            if text and text not in items:
                items.append(text)
        return items

    def validate(self, value: list[str]) -> None:
        if self.required and not value:
            raise ValidationError(self.error_messages["required"], code="required")
        if len(value) > self.max_items:
            raise ValidationError(_("Give at most %(count)s items.") % {"count": self.max_items}, code="max_items")
        too_long = [index + 1 for index, text in enumerate(value) if len(text) > self.max_length]
        if too_long:
            raise ValidationError(
                _("Item %(items)s: at most %(count)s characters.")
                % {"items": ", ".join(map(str, too_long)), "count": self.max_length},
                code="max_length",
            )

    def has_changed(self, initial: Any, data: Any) -> bool:
        try:
            return self.to_python(initial) != self.to_python(data)
        except ValidationError:
            return True


class WeeklyHoursWidget(forms.Widget):
    """A table with a row per day and ``spans`` pairs of 24-hour HH:MM inputs (opens, closes) per row."""

    def __init__(self, *, days: Sequence[tuple[str, str]], spans: int = 2, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs)
        self.days = list(days)
        self.spans = spans

    def _input_name(self, name: str, day: str, span: int, end: str) -> str:
        return f"{name}_{day}_{span}_{end}"

    def value_from_datadict(self, data: Mapping[str, Any], files: Any, name: str) -> dict[str, list[list[str]]]:
        return {
            day: [
                [
                    str(data.get(self._input_name(name, day, span, "opens")) or "").strip(),
                    str(data.get(self._input_name(name, day, span, "closes")) or "").strip(),
                ]
                for span in range(self.spans)
            ]
            for day, _label in self.days
        }

    def value_omitted_from_data(self, data: Mapping[str, Any], files: Any, name: str) -> bool:
        return not any(key.startswith(f"{name}_") for key in data)

    def id_for_label(self, id_: str) -> str:
        return f"{id_}_{self.days[0][0]}_0_opens" if id_ and self.days else id_

    def render(self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None) -> SafeString:
        week = value if isinstance(value, dict) else {}
        base_id = (attrs or {}).get("id") or f"id_{name}"
        header = format_html_join(
            "",
            "<th>{}</th><th>{}</th>",
            (
                (f"Opens{'' if span == 0 else ' again'}", f"Closes{'' if span == 0 else ' again'}")
                for span in range(self.spans)
            ),
        )
        rows = []
        for day, day_name in self.days:
            spans = week.get(day) if isinstance(week.get(day), list) else []
            cells = []
            for span in range(self.spans):
                pair = spans[span] if span < len(spans) and isinstance(spans[span], list | tuple) else []
                for position, end in enumerate(("opens", "closes")):
                    input_name = self._input_name(name, day, span, end)
                    shown = str(pair[position]) if position < len(pair) else ""
                    cells.append(
                        format_html(
                            '<td><input type="text" name="{}" id="{}_{}_{}_{}" value="{}" size="5" maxlength="5" '
                            'placeholder="HH:MM" pattern="([01][0-9]|2[0-3]):[0-5][0-9]" inputmode="numeric" '
                            'aria-label="{} {} {}"></td>',
                            input_name,
                            base_id,
                            day,
                            span,
                            end,
                            shown,
                            day_name,
                            end,
                            span + 1,
                        )
                    )
            rows.append(format_html('<tr><th scope="row">{}</th>{}</tr>', day_name, SafeString("".join(cells))))
        return format_html(
            '<div class="console-hours-widget" id="{}"><table><thead><tr><th>Day</th>{}</tr></thead>'
            "<tbody>{}</tbody></table>"
            '<p class="console-help">24-hour times, e.g. 08:00 and 18:30. Leave a day empty when closed; use the '
            "second pair for a split day (closed for lunch).</p></div>",
            base_id,
            header,
            SafeString("".join(rows)),
        )


def _normalize_time(raw: str) -> str:
    """Accept 8:00, 08.00 or 8h00 as 08:00; anything else is left for the HH:MM check to refuse."""
    loose = LOOSE_TIME.match(raw)
    return f"{int(loose.group(1)):02d}:{loose.group(2)}" if loose else raw


class WeeklyHoursField(forms.Field):
    """Opening hours as ``{day: [[opens, closes], ...]}``, every day present, an empty list when closed."""

    def __init__(self, *, days: Sequence[tuple[str, str]], spans: int = 2, **kwargs: Any) -> None:
        kwargs.setdefault("widget", WeeklyHoursWidget(days=days, spans=spans))
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)
        self.days = list(days)
        self.spans = spans

    def to_python(self, value: Any) -> dict[str, list[list[str]]]:
        if value in (None, ""):
            return {day: [] for day, _label in self.days}
        if not isinstance(value, dict):
            raise ValidationError(_("Give opening hours per day."), code="invalid")
        names = dict(self.days)
        errors = []
        week: dict[str, list[list[str]]] = {}
        for day, day_name in self.days:
            spans = []
            for number, pair in enumerate(value.get(day) or [], start=1):
                if not isinstance(pair, list | tuple) or len(pair) > 2:
                    errors.append(_("%(day)s: each opening span is an opening and a closing time.") % {"day": day_name})
                    continue
                opens, closes = (_normalize_time(str(t).strip()) for t in [*pair, "", ""][:2])
                if not opens and not closes:
                    continue
                if not opens or not closes:
                    errors.append(
                        _("%(day)s: give both times of opening span %(number)s, or neither.")
                        % {"day": day_name, "number": number}
                    )
                    continue
                if not (HHMM.match(opens) and HHMM.match(closes)):
                    errors.append(_("%(day)s: times are 24-hour HH:MM, e.g. 08:00 or 18:30.") % {"day": day_name})
                    continue
                spans.append([opens, closes])
            week[day] = spans
        unknown = set(value) - set(names)
        if unknown:
            errors.append(_("Unknown day(s): %(days)s.") % {"days": ", ".join(sorted(unknown))})
        if errors:
            raise ValidationError(errors, code="invalid")
        return week

    def has_changed(self, initial: Any, data: Any) -> bool:
        try:
            return self.to_python(initial) != self.to_python(data)
        except ValidationError:
            return True
