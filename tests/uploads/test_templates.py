"""The templates the README and the asset descriptions point to are uploads of their format:
every column in the header, every example row valid."""

import pytest

from resources.uploads.reading import inspect, read_rows
from resources.uploads.resource import PROJECT_ROOT
from schemas.uploads import UPLOAD_FORMATS, UploadFormat
from tests.uploads.helpers import LIMITS


@pytest.mark.parametrize("fmt", UPLOAD_FORMATS.values(), ids=list(UPLOAD_FORMATS))
def test_a_template_has_every_column_and_valid_example_rows(fmt: UploadFormat):
    path = PROJECT_ROOT / fmt.template
    layout = inspect(path, fmt, LIMITS)
    assert list(layout.header) == fmt.columns
    (chunk,) = read_rows(path, fmt, layout, LIMITS)
    assert len(chunk) >= 2
    fmt.model.validate(chunk, lazy=True)
