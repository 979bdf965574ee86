"""The OpenAPI 3.1 description of the service. Tests check every route against it and validate
responses with its schemas, so it cannot drift from the code unnoticed."""
from __future__ import annotations

from typing import Any

from classifier import __version__

from .config import DEFAULTS

JSON = "application/json"


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(kind: str) -> dict[str, Any]:
    return {"type": [kind, "null"]}


SHARE = {
    "type": ["number", "null"],
    "exclusiveMinimum": 0,
    "exclusiveMaximum": 1,
    "description": "the tag's expected share of the documents of the stream to tag (scores and thresholds are set for it at the next retrain); null: its share in the training data",
}
STRING_LIST = {"type": "array", "items": {"type": "string"}}
SCORES = {"type": "object", "additionalProperties": {"type": "number", "minimum": 0, "maximum": 1}}
CONTRIBUTIONS = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["morpheme", "weight"],
        "properties": {"morpheme": {"type": "string"}, "weight": {"type": "number"}},
    },
}

# Patterns end in ``(?![\s\S])`` rather than ``$``: in Python's re (which validators and
# generators use) ``$`` also matches before a final newline, which no id may hold.
TAG_ID = {
    "type": "string",
    "pattern": r"^[^\s/\\|,%?#\u0000-\u001f]{1,64}(?![\s\S])",
    "description": "1-64 characters: no whitespace, '/', '\\', '|', ',', '%', '?' or '#'",
    "examples": ["healthcare-ai", "care-robots", "metaverse", "industry-policy"],
}
DOC_ID = {
    "type": "string",
    "pattern": r"^(?!\.\.?(?![\s\S]))[^\s/\\%?#\u0000-\u001f]{1,200}(?![\s\S])",
    "description": "1-200 characters: no whitespace, '/', '\\', '%', '?' or '#', not '.' or '..'",
}
# A keyword rule (classifier/keywords.py): optional leading '-', groups joined by '+', phrases by
# '|'; every group holds a phrase.
KEYWORD = {
    "type": "string",
    "pattern": r"^\s*(?:-+(?:[^\s|+\-\u0000]|[\s|]+[^\s|+\u0000])|[^\s|+\-\u0000]|\|[\s|]*[^\s|+\u0000])[^+\u0000]*(?:\+[\s|]*[^\s|+\u0000][^+\u0000]*)*(?![\s\S])",
    "description": "phrases joined by '|', groups by '+'; a leading '-' counts against the tag",
}
TAG_IDS = {"type": "array", "items": TAG_ID}
# What the label store keeps is text without NUL (PostgreSQL's text cannot hold it).
NO_NUL = r"^[^\u0000]*(?![\s\S])"
STORED_STRING = {"type": "string", "pattern": NO_NUL, "description": "no NUL character"}


def closed(properties: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """An object schema of exactly these properties, each always present."""
    return {"type": "object", "additionalProperties": False, "required": list(properties), "properties": properties, **extra}


CODE_MESSAGE = closed({"code": {"type": "string"}, "message": {"type": "string"}})


def text_schema(max_chars: int, stored: bool = False) -> dict[str, Any]:
    """A document's text: not only whitespace; ``stored`` (in the label store): and no NUL."""
    if stored:
        pattern, description = r"^(?=[\s\S]*\S)[^\u0000]*(?![\s\S])", "not only whitespace, no NUL character"
    else:
        pattern, description = r"\S", "not only whitespace"
    return {"type": "string", "minLength": 1, "maxLength": max_chars, "pattern": pattern, "description": description}


# A document as stored; the full text or, in listings, an excerpt is added to these.
DOCUMENT_COMMON: dict[str, Any] = {
    "id": {"type": "string"},
    "title": nullable("string"),
    "source": {"type": "string"},
    "tags": STRING_LIST,
    "labelled": {"type": "boolean", "description": "false: in the pool, waiting for labels (not trained on)"},
    "origin": {"enum": ["own", "shipped"], "description": "shipped: part of the labelled data that ships with ktag; own: added by people"},
    "created": {"type": "string"},
    "updated": {"type": "string"},
    "revision": {"type": "integer", "minimum": 1},
}

RESPONSES: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {
                    "code": {"type": "string"},
                    "message": {"type": "string"},
                    "job": {"type": "string", "description": "job_running: the job that runs"},
                },
            }
        },
    },
    "TagResult": {
        "type": "object",
        "required": ["tags", "scores", "thresholds"],
        "properties": {
            "id": {"type": "string"},
            "tags": STRING_LIST,
            "scores": SCORES,
            "thresholds": {**SCORES, "description": "the threshold each tag's score was held to (a headline's or an article's, at the tag's operating share)"},
            "explain": {
                "type": "object",
                "additionalProperties": {
                    "type": "object",
                    "required": ["up", "down"],
                    "properties": {
                        "up": CONTRIBUTIONS,
                        "down": CONTRIBUTIONS,
                        "keywords": {**STRING_LIST, "description": "the tag's keyword phrases found (lower case, no spaces)"},
                    },
                },
            },
        },
    },
    "TagResponse": {
        "allOf": [ref("TagResult")],
        "type": "object",
        "required": ["model", "thresholds", "tags", "scores"],
        "properties": {"model": {"type": "string"}, "thresholds": SCORES},
    },
    "TagBatchResponse": {
        "type": "object",
        "required": ["model", "thresholds", "results"],
        "properties": {
            "model": {"type": "string"},
            "thresholds": {**SCORES, "description": "the thresholds for articles; each result has those applied to it"},
            "results": {"type": "array", "items": ref("TagResult")},
        },
    },
    "Tag": {
        "type": "object",
        "required": ["id", "name", "description", "keywords", "documents"],
        "properties": {
            "id": {"type": "string"},
            "name": {"type": "string"},
            "description": {"type": "string"},
            "keywords": STRING_LIST,
            "share": SHARE,
            "documents": {"type": "integer", "minimum": 0},
        },
    },
    "TagList": {
        "type": "object",
        "additionalProperties": False,
        "required": ["exclusive", "tags", "retrain"],
        "properties": {
            "exclusive": {"type": "boolean"},
            "tags": {"type": "array", "items": ref("Tag")},
            "retrain": {"anyOf": [ref("Retrain"), {"type": "null"}], "description": "whether the served model is behind this taxonomy; null while no model is served"},
        },
    },
    "Retrain": closed(
        {
            "needed": {"type": "boolean", "description": "true when anything below is not empty"},
            "model": {"type": "string", "description": "the served version compared with"},
            "added": {**STRING_LIST, "description": "tags the model does not know"},
            "removed": {**STRING_LIST, "description": "the model's tags that were deleted or merged away"},
            "renamed": {
                "type": "array",
                "items": closed({"from": {"type": "string", "description": "the model's id"}, "to": {"type": "string", "description": "the id now"}}),
            },
            "keywords_changed": {**STRING_LIST, "description": "tags whose keyword rules changed"},
            "shares_changed": {**STRING_LIST, "description": "tags whose expected share changed"},
            "message": {"type": "string"},
        },
        description="How the store's taxonomy differs from the one the served model was trained with: a retrain applies the difference",
    ),
    "HeldBack": closed(
        {
            "code": {"type": "string", "description": "the first reason's code"},
            "message": {"type": "string", "description": "every reason's message"},
            "reasons": {"type": "array", "items": CODE_MESSAGE},
            "compared_with": {**nullable("string"), "description": "the version that was current"},
            "macro_f1_before": {**nullable("number"), "description": "the current version's cross-validated macro-F1"},
            "macro_f1_after": {**nullable("number"), "description": "this version's cross-validated macro-F1"},
            "max_drop": {**nullable("number"), "description": "the largest drop allowed (ACTIVATION_MAX_DROP)"},
            "tags_without_examples": STRING_LIST,
        },
        description=(
            "Why a version was not made current: the activation check's reasons (macro_f1_drop, tag_without_examples) "
            "or, for a job, current_changed"
        ),
    ),
    "MergeResult": {
        "type": "object",
        "required": ["merged", "into", "documents"],
        "properties": {"merged": {"type": "string"}, "into": {"type": "string"}, "documents": {"type": "integer"}},
    },
    "DeleteTagResult": {
        "type": "object",
        "required": ["deleted", "documents", "migrate_to", "dropped"],
        "properties": {
            "deleted": {"type": "string"},
            "documents": {"type": "integer"},
            "migrate_to": nullable("string"),
            "dropped": {"type": "boolean"},
        },
    },
    "Document": {
        "type": "object",
        "required": ["id", "title", "text", "source", "tags", "labelled", "origin", "created", "updated", "revision"],
        "properties": {**DOCUMENT_COMMON, "text": {"type": "string"}},
    },
    "DocumentPage": {
        "type": "object",
        "required": ["items", "total", "page", "per_page", "origins"],
        "properties": {
            "items": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["id", "title", "excerpt", "source", "tags", "labelled", "origin", "created", "updated", "revision"],
                    "properties": {**DOCUMENT_COMMON, "excerpt": {"type": "string"}},
                },
            },
            "total": {"type": "integer", "minimum": 0},
            "page": {"type": "integer", "minimum": 1},
            "per_page": {"type": "integer", "minimum": 1},
            "origins": {
                "type": "object",
                "description": "documents in the store by origin, whatever the filters",
                "required": ["own", "shipped"],
                "properties": {"own": {"type": "integer", "minimum": 0}, "shipped": {"type": "integer", "minimum": 0}},
            },
        },
    },
    "SuggestionList": {
        "type": "object",
        "required": ["model", "scope", "total", "page", "thresholds", "items"],
        "properties": {
            "model": {"type": "string"},
            "scope": {"enum": ["pool", "labelled", "all", "suspect"]},
            "total": {"type": "integer", "minimum": 0, "description": "documents in the scope (suspect: suspects found)"},
            "page": {"type": "integer", "minimum": 1},
            "thresholds": SCORES,
            "items": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["id", "title", "excerpt", "revision", "labelled", "stored_tags", "certainty", "tags", "scores"],
                    "properties": {
                        "id": {"type": "string"},
                        "title": nullable("string"),
                        "excerpt": {"type": "string"},
                        "revision": {"type": "integer", "minimum": 1},
                        "labelled": {"type": "boolean"},
                        "stored_tags": STRING_LIST,
                        "certainty": {"type": "number", "minimum": 0, "maximum": 1, "description": "suspect: the out-of-fold score of the most doubtful stored decision"},
                        "tags": {**STRING_LIST, "description": "the tags the model gives it"},
                        "scores": {**SCORES, "description": "suspect: out-of-fold scores (from a model that did not see the document)"},
                        "thresholds": {**SCORES, "description": "the thresholds that apply to this document"},
                        "issues": {
                            "type": "array",
                            "description": "suspect only: the stored decisions the model contradicts",
                            "items": {
                                "type": "object",
                                "required": ["tag", "stored", "score"],
                                "properties": {"tag": {"type": "string"}, "stored": {"type": "boolean"}, "score": {"type": "number", "minimum": 0, "maximum": 1}},
                            },
                        },
                    },
                },
            },
        },
    },
    "History": {
        "type": "object",
        "required": ["id", "history"],
        "properties": {
            "id": {"type": "string"},
            "history": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["seq", "action", "who", "at", "before", "after"],
                    "properties": {
                        "seq": {"type": "integer"},
                        "action": {"type": "string"},
                        "who": {"type": "string"},
                        "at": {"type": "string"},
                        "before": nullable("object"),
                        "after": nullable("object"),
                    },
                },
            },
        },
    },
    "Whoami": {
        "type": "object",
        "additionalProperties": False,
        "required": ["who"],
        "properties": {"who": {"type": "string", "description": "The name of the presented token"}},
    },
    "Job": {
        "type": "object",
        "additionalProperties": False,
        "required": ["id", "state", "progress", "message", "metrics", "version", "error", "created", "updated", "activated", "held_back", "warnings"],
        "properties": {
            "id": {"type": "string"},
            "state": {"enum": ["queued", "running", "succeeded", "failed"]},
            "progress": {"type": "number", "minimum": 0, "maximum": 1},
            "message": {"type": "string"},
            "metrics": nullable("object"),
            "version": nullable("string"),
            "error": nullable("string"),
            "created": {"type": "string"},
            "updated": {"type": "string"},
            "activated": {**nullable("boolean"), "description": "whether the job made its version current; null until it succeeds"},
            "held_back": {"anyOf": [ref("HeldBack"), {"type": "null"}], "description": "why the version was not made current; null when it was or passed the check"},
            "warnings": {"type": "array", "items": CODE_MESSAGE, "description": "what was known to go wrong when it started (tag_without_examples)"},
        },
    },
    "Model": {
        "type": "object",
        "additionalProperties": False,
        "required": ["version", "saved", "current", "tags", "exclusive", "documents", "thresholds", "metrics", "problem", "held_back"],
        "properties": {
            "version": {"type": "string"},
            "saved": nullable("string"),
            "current": {"type": "boolean"},
            "tags": STRING_LIST,
            "exclusive": {"type": "boolean"},
            "documents": nullable("integer"),
            "thresholds": SCORES,
            "metrics": nullable("object"),
            "problem": {**nullable("string"), "description": "why this version cannot be served (a broken or tampered folder); null when it can"},
            "held_back": {
                "anyOf": [ref("HeldBack"), {"type": "null"}],
                "description": "why the activation check held this version back when it was trained (it can still be activated by hand); null when it passed",
            },
        },
    },
    "ModelList": {
        "type": "object",
        "additionalProperties": False,
        "required": ["current", "served", "warning", "models", "retrain"],
        "properties": {
            "current": {**nullable("string"), "description": "the version CURRENT names, when it is stored"},
            "served": {**nullable("string"), "description": "the version this worker serves"},
            "warning": {**nullable("string"), "description": "why the served version is not CURRENT's, when it is not"},
            "models": {"type": "array", "items": ref("Model")},
            "retrain": {"anyOf": [ref("Retrain"), {"type": "null"}], "description": "whether the served model is behind the taxonomy; null while no model is served"},
        },
    },
    "Status": {
        "type": "object",
        "required": ["status"],
        "properties": {"status": {"type": "string"}, "model": {"type": "string"}, "warning": {"type": "string"}},
    },
}


def request_schemas(max_chars: int, max_documents: int) -> dict[str, Any]:
    """The request bodies, as strict as the server: no unknown fields, no null where the server
    refuses one, the server's bounds and id patterns."""
    text = text_schema(max_chars)
    options = {
        "threshold": {"type": "number", "minimum": 0, "maximum": 1, "description": "one threshold for every tag instead of the model's"},
        "top_k": {"type": "integer", "minimum": 1},
        "explain": {"type": "boolean"},
    }
    doc_fields = {
        "title": {**nullable("string"), "pattern": NO_NUL},
        "text": text_schema(max_chars, stored=True),
        "source": STORED_STRING,
        "tags": TAG_IDS,
        "labelled": {"type": "boolean", "description": "default true; setting tags makes a pool document labelled"},
    }
    # A pool document ('labelled': false) has no tags.
    pool_has_no_tags = {
        "if": {"required": ["labelled"], "properties": {"labelled": {"const": False}}},
        "then": {"properties": {"tags": {"maxItems": 0}}},
    }
    tag_fields = {"name": STORED_STRING, "description": STORED_STRING, "keywords": {"type": "array", "items": KEYWORD}, "share": SHARE}
    return {
        "TagRequest": {
            "description": "One document (text, title) or a batch (documents)",
            "oneOf": [
                {
                    "type": "object",
                    "required": ["text"],
                    "additionalProperties": False,
                    "properties": {"text": text, "title": nullable("string"), **options},
                },
                {
                    "type": "object",
                    "required": ["documents"],
                    "additionalProperties": False,
                    "properties": {
                        "documents": {
                            "type": "array",
                            "minItems": 1,
                            "maxItems": max_documents,
                            "items": {
                                "type": "object",
                                "required": ["text"],
                                "additionalProperties": False,
                                "properties": {"id": {"type": ["string", "integer"]}, "text": text, "title": nullable("string")},
                            },
                        },
                        **options,
                    },
                },
            ],
        },
        "TagCreate": {"type": "object", "required": ["id"], "additionalProperties": False, "properties": {"id": TAG_ID, **tag_fields}},
        "TagPatch": {"type": "object", "additionalProperties": False, "properties": {"id": {**TAG_ID, "description": "a new id (renames the tag everywhere)"}, **tag_fields}},
        "MergeRequest": {"type": "object", "required": ["into"], "additionalProperties": False, "properties": {"into": TAG_ID}},
        "DocumentCreate": {
            "type": "object",
            "required": ["text"],
            "additionalProperties": False,
            "properties": {"id": {**DOC_ID, "description": "default: a new random id"}, **doc_fields},
            **pool_has_no_tags,
        },
        "DocumentReplace": {
            "type": "object",
            "required": ["text"],
            "additionalProperties": False,
            "properties": doc_fields,
            **pool_has_no_tags,
        },
        "DocumentPatch": {
            "description": "Some fields, or tags to add and remove (not both)",
            "anyOf": [
                {"type": "object", "additionalProperties": False, "properties": doc_fields, **pool_has_no_tags},
                {"type": "object", "additionalProperties": False, "properties": {"add_tags": TAG_IDS, "remove_tags": TAG_IDS}},
            ],
        },
        "TrainRequest": {"type": "object", "additionalProperties": False, "properties": {"activate": {"type": "boolean", "description": "default true: activate the new version unless the activation check holds it back; false: never activate it"}}},
        "Empty": {"type": "object", "additionalProperties": False, "maxProperties": 0},
    }


def ok(schema: str, description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {JSON: {"schema": ref(schema)}}}


def err(description: str) -> dict[str, Any]:
    return {"description": description, "content": {JSON: {"schema": ref("Error")}}}


def body(schema: str, required: bool = True) -> dict[str, Any]:
    return {"required": required, "content": {JSON: {"schema": ref(schema)}}}


def path_param(name: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": schema or {"type": "string"}}


def query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}


def page_query(name: str, high: int, description: str) -> dict[str, Any]:
    return query(name, {"type": "integer", "minimum": 1, "maximum": high}, description)


BOOLEAN = {"type": "boolean"}
ORIGIN = query("origin", {"enum": ["own", "shipped", "all"]}, "own (documents people added), shipped (the labelled data that ships with ktag) or all (default)")
BAD_INPUT = {
    "400": err("Malformed JSON, invalid UTF-8 or a body that is not an object"),
    "413": err("Body, text or document count over the limit"),
    "415": err("Content-Type is not application/json"),
    "422": err("A field with an invalid value, an empty text or an unknown tag"),
}
AUTH = {"401": err("Missing or invalid bearer token")}
# Every write may find the label store unwritable (a full disk, a read-only folder).
WRITE = {**AUTH, "503": err("The label store cannot be written now (store_unavailable)")}
IF_MATCH = {"name": "If-Match", "in": "header", "required": False, "schema": {"type": "string"}, "description": "The ETag last seen; a stale one changes nothing (412)"}
ETAG = {"ETag": {"schema": {"type": "string"}, "description": "The document's revision"}}
LOCATION = {"Location": {"schema": {"type": "string"}, "description": "Where the new resource is"}}
DOC_LINKS = {
    name: {"operationId": op, "parameters": {"doc_id": "$response.body#/id"}}
    for name, op in (("GetDocument", "getDocument"), ("ReplaceDocument", "replaceDocument"), ("PatchDocument", "patchDocument"),
                     ("DeleteDocument", "deleteDocument"), ("ConfirmDocument", "confirmDocument"), ("DocumentHistory", "documentHistory"))
}
TAG_LINKS = {
    name: {"operationId": op, "parameters": {"tag_id": "$response.body#/id"}}
    for name, op in (("EditTag", "editTag"), ("DeleteTag", "deleteTag"), ("MergeTag", "mergeTag"))
}


def with_headers(response: dict[str, Any], headers: dict[str, Any], links: dict[str, Any] | None = None) -> dict[str, Any]:
    return {**response, "headers": headers, **({"links": links} if links else {})}


def document_write(summary: str, op_id: str, doc: dict[str, Any], schema: str) -> dict[str, Any]:
    """PUT and PATCH of a document: the same conditional-write answers."""
    return {
        "operationId": op_id,
        "summary": summary,
        "security": [{"bearer": []}],
        "parameters": [doc, IF_MATCH],
        "requestBody": body(schema),
        "responses": {"200": with_headers(ok("Document"), ETAG, DOC_LINKS), **BAD_INPUT, **WRITE, "404": err("No such document"), "412": err("Stale If-Match")},
    }


def paths() -> dict[str, Any]:
    doc = path_param("doc_id", DOC_ID)
    tag = path_param("tag_id", TAG_ID)
    write = [{"bearer": []}]
    no_tag = {"404": err("No such tag")}
    return {
        "/healthz": {"get": {"operationId": "healthz", "summary": "Liveness", "responses": {"200": ok("Status")}}},
        "/readyz": {
            "get": {
                "operationId": "readyz",
                "summary": "Readiness: a model is loaded and the label store can be written",
                "responses": {"200": ok("Status"), "503": err("No model yet (not_ready) or the label store cannot be written (store_unavailable)")},
            }
        },
        "/openapi.json": {"get": {"operationId": "openapi", "summary": "This document", "responses": {"200": {"description": "OpenAPI 3.1", "content": {JSON: {"schema": {"type": "object"}}}}}}},
        "/v1/tag": {
            "post": {
                "operationId": "tag",
                "summary": "Tag one document (text, title) or a batch (documents)",
                "requestBody": body("TagRequest"),
                "responses": {
                    "200": {
                        "description": "Tags, every tag's score, the thresholds and the model version",
                        "content": {JSON: {"schema": {"oneOf": [ref("TagResponse"), ref("TagBatchResponse")]}}},
                    },
                    **BAD_INPUT,
                    **AUTH,
                    "503": err("No model loaded yet"),
                },
            }
        },
        "/v1/tags": {
            "get": {"operationId": "listTags", "summary": "The taxonomy with document counts", "responses": {"200": ok("TagList"), **AUTH}},
            "post": {
                "operationId": "addTag",
                "summary": "Add a tag",
                "security": write,
                "requestBody": body("TagCreate"),
                "responses": {"201": with_headers(ok("Tag", "Created"), LOCATION, TAG_LINKS), **BAD_INPUT, **WRITE, "409": err("The tag exists")},
            },
        },
        "/v1/tags/{tag_id}": {
            "patch": {
                "operationId": "editTag",
                "summary": "Rename (id or name), describe, set keywords or share; a rename rewrites every document",
                "security": write,
                "parameters": [tag],
                "requestBody": body("TagPatch"),
                "responses": {"200": ok("Tag"), **BAD_INPUT, **WRITE, **no_tag, "409": err("The new id exists")},
            },
            "delete": {
                "operationId": "deleteTag",
                "summary": "Delete a tag; refused while documents use it unless migrate_to or drop",
                "security": write,
                "parameters": [tag, query("migrate_to", TAG_ID, "Move its documents to this tag"), query("drop", BOOLEAN, "Remove it from its documents")],
                "responses": {
                    "200": ok("DeleteTagResult"),
                    **WRITE,
                    **no_tag,
                    "409": err("Documents use the tag"),
                    "422": err("migrate_to is unknown or the tag itself, or given with drop"),
                },
            },
        },
        "/v1/tags/{tag_id}/merge": {
            "post": {
                "operationId": "mergeTag",
                "summary": "Merge this tag into another (its documents move, it is deleted)",
                "security": write,
                "parameters": [tag],
                "requestBody": body("MergeRequest"),
                "responses": {"200": ok("MergeResult"), **BAD_INPUT, **WRITE, **no_tag},
            }
        },
        "/v1/documents": {
            "get": {
                "operationId": "listDocuments",
                "summary": "Documents by id, paged; filter by tag, untagged, pool or text",
                "parameters": [
                    page_query("page", 10**9, "1-based page"),
                    page_query("per_page", 100, "default 20"),
                    query("tag", TAG_ID, "Only documents with this tag"),
                    query("untagged", BOOLEAN, "Only documents without tags"),
                    query("labelled", BOOLEAN, "Only labelled (true) or pool (false) documents"),
                    ORIGIN,
                    query("q", STORED_STRING, "Text search in title and text"),
                ],
                "responses": {"200": ok("DocumentPage"), **AUTH, "422": err("Bad query parameter or unknown tag")},
            },
            "post": {
                "operationId": "createDocument",
                "summary": "Add a document",
                "security": write,
                "requestBody": body("DocumentCreate"),
                "responses": {
                    "201": with_headers(ok("Document", "Created"), {**ETAG, **LOCATION}, DOC_LINKS),
                    **BAD_INPUT,
                    **WRITE,
                    "409": err("The id exists"),
                },
            },
        },
        "/v1/documents/{doc_id}": {
            "get": {
                "operationId": "getDocument",
                "summary": "A document",
                "parameters": [doc],
                "responses": {"200": with_headers(ok("Document"), ETAG), **AUTH, "404": err("No such document")},
            },
            "put": document_write("Replace a document's fields", "replaceDocument", doc, "DocumentReplace"),
            "patch": document_write("Change some fields, or add_tags / remove_tags", "patchDocument", doc, "DocumentPatch"),
            "delete": {
                "operationId": "deleteDocument",
                "summary": "Delete a document",
                "security": write,
                "parameters": [doc, IF_MATCH],
                "responses": {"204": {"description": "Deleted"}, **WRITE, "404": err("No such document"), "412": err("Stale If-Match")},
            },
        },
        "/v1/documents/{doc_id}/confirm": {
            "post": {
                "operationId": "confirmDocument",
                "summary": "A person keeps this document's tags: it leaves the suspect labels until its content changes",
                "security": write,
                "parameters": [doc, IF_MATCH],
                "requestBody": body("Empty", required=False),
                "responses": {"200": with_headers(ok("Document"), ETAG), **BAD_INPUT, **WRITE, "404": err("No such document"), "412": err("Stale If-Match")},
            }
        },
        "/v1/documents/{doc_id}/history": {
            "get": {
                "operationId": "documentHistory",
                "summary": "Every edit of a document",
                "description": "Kept after the document is deleted: the audit trail ends with the deletion.",
                "parameters": [doc],
                "responses": {"200": ok("History"), **AUTH, "404": err("No document with this id was ever stored")},
            }
        },
        "/v1/train": {
            "post": {
                "operationId": "train",
                "summary": "Retrain from the label store in the background",
                "description": (
                    "The new version is always stored. It is made current only when its cross-validated macro-F1 is not lower than the current "
                    "version's by more than ACTIVATION_MAX_DROP and every tag has training examples; otherwise the finished job says why "
                    "(activated: false, held_back). A tag without examples is known at once: the 202 answer warns of it (warnings)."
                ),
                "security": write,
                "requestBody": body("TrainRequest", required=False),
                "responses": {
                    "202": with_headers(ok("Job", "Started"), LOCATION, {"GetJob": {"operationId": "getJob", "parameters": {"job_id": "$response.body#/id"}}}),
                    **BAD_INPUT,
                    **WRITE,
                    "409": err("A job is running"),
                },
            }
        },
        "/v1/jobs/{job_id}": {
            "get": {
                "operationId": "getJob",
                "summary": "A training job's state",
                "parameters": [path_param("job_id")],
                "responses": {"200": ok("Job"), **AUTH, "404": err("No such job")},
            }
        },
        "/v1/suggestions": {
            "get": {
                "operationId": "suggestions",
                "summary": "Documents the model is least sure about, least sure first (label these next)",
                "parameters": [
                    page_query("n", 100, "per page, default 20"),
                    page_query("page", 10**6, "1-based page"),
                    query("tag", TAG_ID, "Rank by certainty about this tag only"),
                    query(
                        "scope",
                        {"enum": ["pool", "labelled", "all", "suspect"]},
                        "pool (default: documents waiting for labels), labelled, all, or suspect (labelled documents whose stored tags the model confidently contradicts)",
                    ),
                    ORIGIN,
                ],
                "responses": {"200": ok("SuggestionList"), **AUTH, "422": err("Bad query parameter or unknown tag"), "503": err("No model loaded yet")},
            }
        },
        "/v1/whoami": {
            "get": {
                "operationId": "whoami",
                "summary": "Check a write token: the name it stands for, or 401",
                "security": write,
                "responses": {"200": ok("Whoami"), **AUTH},
            }
        },
        "/v1/models": {"get": {"operationId": "listModels", "summary": "Stored model versions, newest first", "responses": {"200": ok("ModelList"), **AUTH}}},
        "/v1/models/{version}/activate": {
            "post": {
                "operationId": "activateModel",
                "summary": "Serve this version (roll back or forward, or one that was held back); every worker follows within seconds",
                "security": write,
                "parameters": [path_param("version")],
                "responses": {"200": ok("Model"), **WRITE, "404": err("No such version"), "422": err("The version fails its integrity checks")},
            }
        },
    }


def spec(max_text_chars: int = DEFAULTS["MAX_TEXT_CHARS"], max_documents: int = DEFAULTS["MAX_DOCUMENTS"]) -> dict[str, Any]:
    """The document for a server with these limits (its MAX_TEXT_CHARS and MAX_DOCUMENTS)."""
    return {
        "openapi": "3.1.0",
        "info": {"title": "ktag", "version": __version__, "description": "Korean document tagging and label editing"},
        "paths": paths(),
        "components": {
            "schemas": {**RESPONSES, **request_schemas(max_text_chars, max_documents)},
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }
