"""Scrapy feed exports (-o/-O/FEEDS) in this project's shape.

CSV: Scrapy's CsvItemExporter joins list fields with commas (the body's paragraphs,
which contain commas themselves, become one ambiguous string) and writes dicts as
Python reprs (`{'name': ...}`). Here every list or dict field (authors, images,
lead_image, body...) is one cell holding the field as JSON, the same value as in
the JSONL output; `json.loads(cell)` gives it back.
"""

from __future__ import annotations

import json

from scrapy.exporters import CsvItemExporter


class JsonFieldsCsvItemExporter(CsvItemExporter):
    def serialize_field(self, field, name, value):
        if "serializer" not in field and isinstance(value, (list, tuple, dict)):
            return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        return super().serialize_field(field, name, value)
