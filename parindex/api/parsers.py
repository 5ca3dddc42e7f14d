from __future__ import annotations

from django.http import HttpRequest
from django.utils.datastructures import MultiValueDict
from ninja.parser import Parser


class ApiParser(Parser):
    """A single-valued query parameter given twice (``?active=true&active=false``) is a mistake, not a silent choice
    of the last value: both values are kept, so validation refuses them with a 422."""

    def parse_querydict(self, data: MultiValueDict, list_fields: list[str], request: HttpRequest) -> dict:
        result = {}
        for key in data:
            values = data.getlist(key)
            result[key] = values if key in list_fields or len(values) > 1 else data[key]
        return result
