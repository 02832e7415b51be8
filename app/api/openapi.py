"""The OpenAPI 3.1 description of /api/v1 and of the webhooks PostReady sends (tests check real
responses and real deliveries against it)."""
from app.postcheck.catalogue import KINDS
from app.postcheck.services import PLATFORMS
from app.webhooks.events import openapi_webhooks

DECISION = {
    "type": "object",
    "required": ["right", "title", "platform", "allowed", "reason", "expires_at"],
    "additionalProperties": False,
    "properties": {
        "right": {"type": "string", "description": "Slug of the right, e.g. post-instagram."},
        "title": {"type": "string"},
        "platform": {"type": ["string", "null"], "description": "Platform the right is for, if any."},
        "allowed": {"type": "boolean"},
        "reason": {"type": "string", "description": "Why it is or is not allowed, in plain words."},
        "expires_at": {"type": ["string", "null"], "format": "date-time",
                       "description": "When the right lapses unless renewed (null when not allowed)."},
    },
}


def openapi_document(platforms: list[str]) -> dict:
    error_response = {"description": "Error",
                      "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    email_param = {"name": "email", "in": "path", "required": True, "schema": {"type": "string", "format": "email"}}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "PostReady API",
            "version": "1.0.0",
            "description": "Ask whether a person may post on a platform now (rights are derived live "
                           "from valid certificates and suspensions), check a draft before it is posted, and "
                           "receive signed webhooks (Standard Webhooks) the moment a right or certificate changes.",
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "paths": {
            "/people/{email}/posting-rights": {
                "get": {
                    "operationId": "getPostingRights",
                    "summary": "Every posting right of one person",
                    "parameters": [email_param],
                    "responses": {
                        "200": {"description": "The person's rights",
                                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Rights"}}}},
                        "401": error_response, "404": error_response, "429": error_response,
                    },
                }
            },
            "/people/{email}/posting-rights/{platform}": {
                "get": {
                    "operationId": "getPlatformRight",
                    "summary": "May this person post on this platform now?",
                    "parameters": [email_param, {"name": "platform", "in": "path", "required": True,
                                                 "schema": {"type": "string", "enum": platforms}}],
                    "responses": {
                        "200": {"description": "The decision",
                                "content": {"application/json": {
                                    "schema": {"$ref": "#/components/schemas/PlatformRight"}}}},
                        "401": error_response, "404": error_response, "429": error_response,
                    },
                }
            },
            "/post-checks": {
                "post": {
                    "operationId": "checkPost",
                    "summary": "Check a draft before it is posted",
                    "description": "Finds what looks like patient information, claims that need proof and missing "
                                   "disclosures, each with the lesson that teaches the rule. An aid, not a gate. "
                                   "Needs a token with the postcheck scope. The text is not stored.",
                    "requestBody": {"required": True, "content": {"application/json": {"schema": {
                        "$ref": "#/components/schemas/PostCheckRequest"}}}},
                    "responses": {
                        "200": {"description": "The verdict and findings",
                                "content": {"application/json": {
                                    "schema": {"$ref": "#/components/schemas/PostCheck"}}}},
                        "400": error_response, "401": error_response, "403": error_response,
                        "429": error_response, "503": error_response,
                    },
                }
            },
        },
        "webhooks": openapi_webhooks(),
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                           "description": "Created by an administrator; "
                                                          "send as Authorization: Bearer <token>."}},
            "schemas": {
                "Decision": DECISION,
                "Rights": {
                    "type": "object", "required": ["email", "checked_at", "rights"], "additionalProperties": False,
                    "properties": {
                        "email": {"type": "string"},
                        "checked_at": {"type": "string", "format": "date-time"},
                        "rights": {"type": "array", "items": {"$ref": "#/components/schemas/Decision"}},
                    },
                },
                "PlatformRight": {
                    "type": "object",
                    "required": ["email", "checked_at", *DECISION["required"]],
                    "additionalProperties": False,
                    "properties": {"email": {"type": "string"}, "checked_at": {"type": "string", "format": "date-time"},
                                   **DECISION["properties"]},
                },
                **post_check_schemas(platforms),
                "Error": {
                    "type": "object", "required": ["error"],
                    "properties": {"error": {"type": "object", "required": ["status", "message"],
                                             "properties": {"status": {"type": "integer"},
                                                            "message": {"type": "string"}}}},
                },
            },
        },
    }


def post_check_schemas(platforms: list[str]) -> dict:
    finding = {
        "type": "object", "additionalProperties": False,
        "required": ["kind", "start", "end", "message", "lesson_url", "rule", "severity"],
        "properties": {
            "kind": {"enum": list(KINDS)},
            "start": {"type": "integer", "description": "Offset of the first character found (Unicode code points)."},
            "end": {"type": "integer", "description": "Offset just past the last."},
            "message": {"type": "string"}, "lesson_url": {"type": "string", "format": "uri"},
            "rule": {"type": "string", "description": "The regulation or case it rests on."},
            "severity": {"enum": ["stop", "review"]},
        },
    }
    return {
        "PostCheckRequest": {
            "type": "object", "required": ["text"], "additionalProperties": False,
            "properties": {
                "text": {"type": "string", "maxLength": 10000},
                "platform": {"enum": list(PLATFORMS), "default": "other"},
                "author_email": {"type": "string", "format": "email",
                                 "description": f"Also say whether this person may post there now (platform one of "
                                                f"{', '.join(platforms)})."},
            },
        },
        "PostCheck": {
            "type": "object", "required": ["verdict", "checked_at", "findings"], "additionalProperties": False,
            "properties": {
                "verdict": {"enum": ["ok", "review", "stop"]},
                "checked_at": {"type": "string", "format": "date-time"},
                "findings": {"type": "array", "items": finding},
                "author": {"type": "object", "required": ["email", *DECISION["required"]],
                           "additionalProperties": False,
                           "properties": {"email": {"type": "string"}, **DECISION["properties"]}},
            },
        },
    }
