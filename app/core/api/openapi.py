"""The OpenAPI 3.1 document of the local API (served at ``/openapi.json``).

Written by hand so the contract is reviewed as a contract. ``docs/openapi.json``
is this document, regenerated with ``python -m app.core.api.openapi``; a test
checks they match.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from app.core.api.app import MAX_PAGE, POSIX_TIME_PATTERN, SESSION_ID_PATTERN
from app.core.sessions.model import MAX_REF_LEN, STATUSES
from app.core.settings import CHALLENGE_TYPES

#: Version of the API contract (not of the app): bump on any change to this document.
API_VERSION = "1.1.0"

_ERR = {"$ref": "#/components/schemas/Error"}
#: A reference: text without control characters or lone surrogates.
REFERENCE_PATTERN = "^[^\\u0000-\\u001f\\u007f\\ud800-\\udfff]*$"


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ERR}}}


def _sid() -> dict[str, Any]:
    return {
        "name": "session_id",
        "in": "path",
        "required": True,
        "description": "A well-formed id that names no session is 404, as is a malformed one.",
        "schema": {"type": "string", "pattern": SESSION_ID_PATTERN},
    }


def _responses(success: dict[str, Any], *, secured: bool = True, body: bool = False, **specific: dict[str, Any]) -> dict[str, Any]:
    """An operation's responses: its own, plus the errors every request can meet, sorted by status."""
    common: dict[str, Any] = {
        "400": _error("Malformed request: an unknown or malformed query parameter, a bad body, or invalid HTTP."),
        "408": _error("The request head or body did not arrive in time (the connection is closed)."),
        "413": _error("Body larger than 64 KiB."),
        "421": _error("The Host header does not name this server (DNS-rebinding defence)."),
        "503": _error("ServerBusy: the connection bounds are reached; retry after Retry-After seconds."),
    }
    if secured:
        common["401"] = _error("No or wrong bearer token.")
    if body:
        common["415"] = _error("A body without Content-Type, or not application/json in UTF-8.")
    merged = {**success, **common, **specific}
    return dict(sorted(merged.items()))


_BOX = {
    "type": ["object", "null"],
    "description": "Face box as fractions of the frame.",
    "properties": {k: {"type": "number"} for k in ("Width", "Height", "Left", "Top")},
}
_IMAGE = {
    "type": "object",
    "properties": {
        "BoundingBox": _BOX,
        "Sha256": {"type": "string", "description": "SHA-256 of the JPEG (signed)."},
        "Bytes": {"type": "string", "contentEncoding": "base64", "description": "JPEG, with images=bytes (not signed)."},
        "Location": {
            "type": "object",
            "description": "With images=reference: where to GET the JPEG (not signed).",
            "properties": {"Url": {"type": "string"}, "MediaType": {"type": "string"}},
        },
    },
}

_TIME_FORMS = (
    "POSIX seconds (1735689600), an RFC 3339 date (2025-01-01, midnight UTC) or an RFC 3339 date-time "
    "with its zone (2025-01-01T12:00:00Z, 2025-01-01T12:00:00+01:00); years 1 to 9999, no leap second."
)
_TIME_SCHEMA = {"type": "string", "anyOf": [{"pattern": POSIX_TIME_PATTERN}, {"format": "date"}, {"format": "date-time"}]}


def _reference_schema() -> dict[str, Any]:
    return {"type": "string", "maxLength": MAX_REF_LEN, "pattern": REFERENCE_PATTERN}


def openapi_document() -> dict[str, Any]:
    """The API description as a JSON-able dict."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Livegate local integration API",
            "version": API_VERSION,
            "description": (
                "On-device face-liveness sessions. Shapes follow the reference cloud service "
                "(SessionId, Status, Confidence, ReferenceImage, AuditImages, Challenge) with Livegate's "
                "Decision, Checks and Reasons added. Listens on 127.0.0.1 only by default. Every path except "
                "/v1/health and /openapi.json needs 'Authorization: Bearer <token>' (`livegate token`). "
                "Request bodies are limited to 64 KiB and need 'Content-Type: application/json'. The Host header "
                "must name this server (127.0.0.1, localhost or [::1] with the port). A method not listed for a "
                "path is 405 with an Allow header; an unknown path is 404. Errors are JSON: "
                "{\"Error\": {\"Code\", \"Message\"}}."
            ),
        },
        "servers": [{"url": "http://127.0.0.1:8765"}],
        "security": [{"bearer": []}],
        "paths": {
            "/v1/health": {
                "get": {
                    "summary": "Liveness of the API itself (no token, no data).",
                    "operationId": "health",
                    "security": [],
                    "responses": _responses(
                        {
                            "200": {
                                "description": "The API is up.",
                                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Health"}}},
                            }
                        },
                        secured=False,
                    ),
                }
            },
            "/v1/sessions": {
                "post": {
                    "summary": "Create a single-use session (CreateFaceLivenessSession).",
                    "operationId": "createSession",
                    "requestBody": {
                        "required": False,
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/CreateSessionRequest"}}},
                    },
                    "responses": _responses(
                        {
                            "201": {
                                "description": "Created; start it before it expires (settings.session_expiry_s, default 180 s).",
                                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/CreateSessionResponse"}}},
                            }
                        },
                        body=True,
                        **{
                            "400": _error("Malformed JSON, a wrong type, an out-of-range value, an unknown field or query parameter."),
                            "423": _error("The device is locked out after repeated failed checks."),
                        },
                    ),
                },
                "get": {
                    "summary": "List sessions, newest first (no results or images).",
                    "operationId": "listSessions",
                    "parameters": [
                        {"name": "status", "in": "query", "schema": {"type": "string", "enum": list(STATUSES)}},
                        {"name": "customer_ref", "in": "query", "schema": _reference_schema()},
                        {"name": "since", "in": "query", "description": "Created at or after. " + _TIME_FORMS, "schema": _TIME_SCHEMA},
                        {"name": "until", "in": "query", "description": "Created before. " + _TIME_FORMS, "schema": _TIME_SCHEMA},
                        {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 100}},
                        {"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0, "maximum": 10**9, "default": 0}},
                    ],
                    "responses": _responses(
                        {
                            "200": {
                                "description": "One page of sessions.",
                                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SessionList"}}},
                            }
                        }
                    ),
                },
            },
            "/v1/sessions/{session_id}": {
                "delete": {
                    "summary": "Delete a session's record and files for good.",
                    "operationId": "deleteSession",
                    "parameters": [_sid()],
                    "responses": _responses({"204": {"description": "Deleted."}}, **{"404": _error("Unknown session.")}),
                }
            },
            "/v1/sessions/{session_id}/start": {
                "post": {
                    "summary": "Start the check on the kiosk screen for this session.",
                    "operationId": "startSession",
                    "parameters": [_sid()],
                    "requestBody": {
                        "required": False,
                        "description": "Start takes no settings: no body, or an empty object.",
                        "content": {"application/json": {"schema": {"type": "object", "maxProperties": 0}}},
                    },
                    "responses": _responses(
                        {
                            "202": {
                                "description": "The kiosk was told to begin; poll the results.",
                                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/StartSessionResponse"}}},
                            }
                        },
                        body=True,
                        **{
                            "404": _error("Unknown session."),
                            "409": _error("The session is not CREATED (sessions are single-use)."),
                            "410": _error("The session expired before it was started."),
                            "423": _error("The device is locked out after repeated failed checks."),
                            "503": _error("NoKioskAttached: no kiosk screen is attached to run the check; or ServerBusy."),
                        },
                    ),
                }
            },
            "/v1/sessions/{session_id}/results": {
                "get": {
                    "summary": "Status and, when finished, the signed result (GetFaceLivenessSessionResults).",
                    "operationId": "getSessionResults",
                    "parameters": [
                        _sid(),
                        {
                            "name": "images",
                            "in": "query",
                            "description": "bytes: base64 JPEG in Bytes; reference: a Location to GET; none: no image payload.",
                            "schema": {"type": "string", "enum": ["bytes", "reference", "none"], "default": "bytes"},
                        },
                    ],
                    "responses": _responses(
                        {
                            "200": {
                                "description": "The session's status, and its signed result when it has one.",
                                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SessionResults"}}},
                            }
                        },
                        **{
                            "404": _error("Unknown session."),
                            "410": _error("The session expired without being started (body also has Status EXPIRED)."),
                            "500": _error("IntegrityError: the stored result or an image failed its authenticity check."),
                        },
                    ),
                }
            },
            "/v1/sessions/{session_id}/images/{role}": {
                "get": {
                    "summary": "One decrypted image of a session.",
                    "operationId": "getSessionImage",
                    "parameters": [
                        _sid(),
                        {"name": "role", "in": "path", "required": True, "schema": {"type": "string", "enum": ["reference", "audit-0", "audit-1", "audit-2", "audit-3"]}},
                    ],
                    "responses": _responses(
                        {"200": {"description": "The JPEG.", "content": {"image/jpeg": {"schema": {"type": "string", "contentMediaType": "image/jpeg"}}}}},
                        **{
                            "404": _error("Unknown session or image."),
                            "500": _error("IntegrityError: the stored image failed its authenticity check."),
                        },
                    ),
                }
            },
            "/v1/lockout": {
                "get": {
                    "summary": "Whether new checks are refused on this device.",
                    "operationId": "getLockout",
                    "responses": _responses(
                        {
                            "200": {
                                "description": "Lock-out state.",
                                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Lockout"}}},
                            }
                        }
                    ),
                }
            },
            "/openapi.json": {
                "get": {
                    "summary": "This document.",
                    "operationId": "openapi",
                    "security": [],
                    "responses": _responses({"200": {"description": "OpenAPI 3.1 document.", "content": {"application/json": {}}}}, secured=False),
                }
            },
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["Error"],
                    "properties": {
                        "Error": {
                            "type": "object",
                            "required": ["Code", "Message"],
                            "properties": {
                                "Code": {"type": "string", "description": "Stable code: InvalidRequest, InvalidParameter, Unauthorized, SessionNotFound, MethodNotAllowed, RequestTimeout, PayloadTooLarge, UnsupportedMediaType, MisdirectedRequest, ServerBusy..."},
                                "Message": {"type": "string"},
                            },
                        }
                    },
                },
                "Health": {"type": "object", "properties": {"Status": {"const": "ok"}, "Version": {"type": "string"}}},
                "CreateSessionRequest": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        "Settings": {
                            "type": "object",
                            "additionalProperties": False,
                            "properties": {
                                "AuditImagesLimit": {"type": "integer", "minimum": 0, "maximum": 4},
                                "ChallengePreferences": {
                                    "type": "array",
                                    "minItems": 1,
                                    "maxItems": 2,
                                    "description": "The first entry is used.",
                                    "items": {
                                        "type": "object",
                                        "additionalProperties": False,
                                        "required": ["Type"],
                                        "properties": {
                                            "Type": {"type": "string", "enum": list(CHALLENGE_TYPES)},
                                            "Versions": {
                                                "type": "object",
                                                "additionalProperties": False,
                                                "properties": {"Minimum": {"type": "string"}, "Maximum": {"type": "string"}},
                                            },
                                        },
                                    },
                                },
                                "Threshold": {"type": "number", "minimum": 0, "maximum": 100, "description": "Livegate: decision threshold."},
                                "KeepRecording": {"type": "boolean", "description": "Livegate: keep an encrypted recording."},
                                "OperatorReference": _reference_schema(),
                                "CustomerReference": _reference_schema(),
                            },
                        }
                    },
                },
                "CreateSessionResponse": {"type": "object", "required": ["SessionId"], "properties": {"SessionId": {"type": "string"}}},
                "StartSessionResponse": {
                    "type": "object",
                    "properties": {"SessionId": {"type": "string"}, "Status": {"const": "IN_PROGRESS"}},
                },
                "SessionSummary": {
                    "type": "object",
                    "properties": {
                        "SessionId": {"type": "string"},
                        "Status": {"type": "string", "enum": list(STATUSES)},
                        "Reason": {"type": ["string", "null"]},
                        "Decision": {"type": ["string", "null"], "enum": ["pass", "fail", None]},
                        "Confidence": {"type": ["number", "null"]},
                        "CreatedAt": {"type": "string", "format": "date-time"},
                        "ExpiresAt": {"type": "string", "format": "date-time"},
                        "StartedAt": {"type": ["string", "null"], "format": "date-time"},
                        "FinishedAt": {"type": ["string", "null"], "format": "date-time"},
                        "CustomerReference": {"type": "string"},
                        "OperatorReference": {"type": "string"},
                        "Challenge": {"type": "string"},
                    },
                },
                "SessionList": {
                    "type": "object",
                    "properties": {
                        "Sessions": {"type": "array", "items": {"$ref": "#/components/schemas/SessionSummary"}},
                        "NextOffset": {"type": ["integer", "null"]},
                    },
                },
                "SessionResults": {
                    "type": "object",
                    "required": ["SessionId", "Status"],
                    "description": "Without a result: SessionId, Status, Reason, Challenge. With one: the signed result document.",
                    "properties": {
                        "SessionId": {"type": "string"},
                        "Status": {"type": "string", "enum": list(STATUSES)},
                        "Reason": {"type": ["string", "null"]},
                        "Confidence": {"type": "number", "minimum": 0, "maximum": 100},
                        "Decision": {"type": "string", "enum": ["pass", "fail"]},
                        "Threshold": {"type": "number"},
                        "ReferenceImage": {"oneOf": [_IMAGE, {"type": "null"}]},
                        "AuditImages": {"type": "array", "items": _IMAGE},
                        "Challenge": {
                            "type": "object",
                            "properties": {
                                "Type": {"type": "string", "enum": list(CHALLENGE_TYPES)},
                                "Version": {"type": "string"},
                                "Assurance": {
                                    "type": "string",
                                    "enum": ["standard", "reduced"],
                                    "description": "Livegate: what the check proves. standard: screen light and movement; "
                                    "reduced: movement only (no flashes), which cannot see 3D masks and which a replay "
                                    "passes with a small stated chance (docs/result.md); an integrator may require a "
                                    "second factor.",
                                },
                            },
                        },
                        "Checks": {"type": "array", "items": {"type": "object"}},
                        "Reasons": {"type": "array", "items": {"type": "string"}},
                        "Versions": {"type": "object", "additionalProperties": {"type": "string"}},
                        "Session": {"type": "object"},
                        "Signature": {
                            "type": "object",
                            "description": "Ed25519 over RFC 8785 canonical JSON of the document without Signature and image Bytes/Location.",
                            "properties": {
                                "Algorithm": {"const": "Ed25519"},
                                "KeyId": {"type": "string", "description": "sha256:<hex> of the raw public key."},
                                "Value": {"type": "string", "contentEncoding": "base64"},
                            },
                        },
                    },
                },
                "Lockout": {
                    "type": "object",
                    "properties": {
                        "Locked": {"type": "boolean"},
                        "LockedUntil": {"type": ["string", "null"], "format": "date-time"},
                        "Message": {"type": ["string", "null"]},
                    },
                },
            },
        },
    }


def render() -> str:
    """The document as committed in ``docs/openapi.json``."""
    return json.dumps(openapi_document(), indent=2, sort_keys=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Write the document to the path given (default: stdout)."""
    args = sys.argv[1:] if argv is None else argv
    if args:
        Path(args[0]).write_text(render(), encoding="utf-8")
    else:
        sys.stdout.write(render())
    return 0


if __name__ == "__main__":
    sys.exit(main())
