"""Bad settings told plainly: one line per variable, its name as the environment spells
it, what it must be, and what it got (never for secrets)."""

from __future__ import annotations

from typing import get_args

from pydantic import BaseModel, ValidationError
from pydantic_settings import SettingsError

_PLAIN = {
    "int_parsing": "must be a whole number",
    "float_parsing": "must be a number",
    "bool_parsing": "must be true or false",
    "json_invalid": "must be JSON",
}
_SECRET = ("key", "secret", "password", "token", "url")  # never echoed back


def _choices(annotation: object) -> list[str]:
    """The values of a Literal (inside an Optional too)."""
    args = get_args(annotation)
    if not args:
        return [] if annotation is type(None) else [str(annotation)]
    return [c for arg in args for c in _choices(arg)]


def settings_problems(exc: ValidationError | SettingsError, model: type[BaseModel]) -> list[str]:
    """One line per bad variable: ``APP_ENV: must be one of ... (got 'Production')``."""
    if isinstance(exc, SettingsError):  # a complex value (dict, list) that is not JSON
        field = str(exc).split('"')[1] if '"' in str(exc) else ""
        cause = f" ({exc.__cause__})" if exc.__cause__ else ""
        return [f"{field.upper() or 'settings'}: must be JSON{cause}"]
    problems: dict[str, str] = {}
    for err in exc.errors():
        field = str(err["loc"][0]) if err["loc"] else ""
        if err["type"] == "literal_error":
            text = f"must be one of {', '.join(_choices(model.model_fields[field].annotation))}"
        else:
            text = _PLAIN.get(err["type"], err["msg"].removeprefix("Value error, "))
            text = text.replace("Input should be", "must be")
            text = text.removeprefix(f"{field.upper()}: ")
        if not any(word in field for word in _SECRET) and isinstance(err["input"], str | int):
            text += f" (got {err['input']!r})"
        problems.setdefault(field.upper() or "settings", text)
    return [f"{var}: {text}" for var, text in problems.items()]
