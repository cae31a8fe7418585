"""The API's one error shape, for every route: ``status``, ``error``, ``message`` and
``errors`` (a message per field at fault; ``""`` for the request as a whole).

Domain refusals arrive as ``Invalid`` (422) or ``Conflict`` (409); a request that does not
match the schema is answered by spectree, whose answer :func:`schema_refusal` rewrites into
the same shape, so a client reads every refusal the same way.
"""

from flask import Blueprint, jsonify
from flask_babel import gettext as _

from eventreg.core.errors import Conflict, Invalid


class ApiNotFound(Exception):
    """Nothing at this address for the caller; the message says what is missing."""


def api_error(status: int, error: str, message: str, errors: dict[str, str] | None = None):
    body = {"status": status, "error": error, "message": message, "errors": errors or {}}
    return jsonify(body), status


def register_error_handlers(bp: Blueprint) -> None:
    bp.register_error_handler(Invalid, _invalid)
    bp.register_error_handler(Conflict, _conflict)
    bp.register_error_handler(ApiNotFound, _not_found)


def _invalid(error: Invalid):
    return api_error(422, _("Unprocessable request"), error.message, _plain(error.errors))


def _conflict(error: Conflict):
    # The service has rolled back; the message names what is in the way.
    return api_error(409, _("Conflict"), error.message, _plain(error.errors))


def _not_found(error: ApiNotFound):
    return api_error(404, _("Not found"), str(error))


def _plain(errors: dict) -> dict[str, str]:
    return {str(field): str(message) for field, message in errors.items()}


def schema_refusal(request, response, validation_error, instance, model_adapter) -> None:
    """spectree's hook after it validated a request: a refused request's answer (pydantic's
    list of errors) is rewritten into the API's error shape, keeping spectree's status."""
    if validation_error is None or response is None:
        return
    errors: dict[str, list[str]] = {}
    for item in validation_error.errors():
        # By top-level field: deeper parts of the location name list items or the
        # members of a union ("datetime", "none") rather than fields.
        location = item.get("loc") or ("",)
        if item.get("type") == "none_required" and len(location) > 1:
            continue  # "or null": said once by the field's description, not per refusal
        messages = errors.setdefault(str(location[0]), [])
        message = item.get("msg", "")
        if item.get("type") == "value_error":  # our own validators: their words, no prefix
            message = str(item.get("ctx", {}).get("error", message))
        if message not in messages:
            messages.append(message)
    fields = {field: " ".join(messages) for field, messages in errors.items()}
    described = "; ".join(f"{field}: {text}" if field else text for field, text in fields.items())
    body, _status = api_error(
        response.status_code,
        _("Unprocessable request"),
        _("The request does not match the API's schema: %(errors)s", errors=described),
        fields,
    )
    response.set_data(body.get_data())
    response.mimetype = "application/json"
