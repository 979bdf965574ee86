"""The OpenAPI 3.1 description of the service. Tests check every route against it and validate
responses with its schemas, so it cannot drift from the code unnoticed."""
from __future__ import annotations

from typing import Any

from classifier import __version__

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

SCHEMAS: dict[str, Any] = {
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
    "TagRequest": {
        "type": "object",
        "properties": {
            "text": {"type": "string"},
            "title": {"type": "string"},
            "documents": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["text"],
                    "properties": {"id": {"type": "string"}, "text": {"type": "string"}, "title": {"type": "string"}},
                },
            },
            "threshold": {"type": "number", "minimum": 0, "maximum": 1},
            "top_k": {"type": "integer", "minimum": 1},
            "explain": {"type": "boolean"},
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
    "TagInput": {
        "type": "object",
        "properties": {
            "id": {"type": "string"},
            "name": {"type": "string"},
            "description": {"type": "string"},
            "keywords": STRING_LIST,
            "share": SHARE,
        },
    },
    "TagList": {
        "type": "object",
        "required": ["exclusive", "tags"],
        "properties": {"exclusive": {"type": "boolean"}, "tags": {"type": "array", "items": ref("Tag")}},
    },
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
    "DocumentInput": {
        "type": "object",
        "properties": {
            "id": {"type": "string"},
            "title": nullable("string"),
            "text": {"type": "string"},
            "source": {"type": "string"},
            "tags": STRING_LIST,
            "labelled": {"type": "boolean", "description": "default true; setting tags makes a pool document labelled"},
            "add_tags": STRING_LIST,
            "remove_tags": STRING_LIST,
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
    "Job": {
        "type": "object",
        "required": ["id", "state", "progress", "message", "metrics", "version", "error", "created", "updated"],
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
        },
    },
    "Model": {
        "type": "object",
        "required": ["version", "saved", "current", "tags", "exclusive", "documents", "thresholds", "metrics"],
        "properties": {
            "version": {"type": "string"},
            "saved": {"type": "string"},
            "current": {"type": "boolean"},
            "tags": STRING_LIST,
            "exclusive": {"type": "boolean"},
            "documents": nullable("integer"),
            "thresholds": SCORES,
            "metrics": nullable("object"),
        },
    },
    "ModelList": {
        "type": "object",
        "required": ["current", "models"],
        "properties": {"current": nullable("string"), "models": {"type": "array", "items": ref("Model")}},
    },
    "Status": {
        "type": "object",
        "required": ["status"],
        "properties": {"status": {"type": "string"}, "model": {"type": "string"}},
    },
}


def ok(schema: str, description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {JSON: {"schema": ref(schema)}}}


def err(description: str) -> dict[str, Any]:
    return {"description": description, "content": {JSON: {"schema": ref("Error")}}}


def body(schema: str, required: bool = True) -> dict[str, Any]:
    return {"required": required, "content": {JSON: {"schema": ref(schema)}}}


def path_param(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}


def query(name: str, kind: str, description: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": {"type": kind}, "description": description}


BAD_INPUT = {
    "400": err("Malformed JSON, invalid UTF-8 or a body that is not an object"),
    "413": err("Body, text or document count over the limit"),
    "415": err("Content-Type is not application/json"),
    "422": err("A field with an invalid value, an empty text or an unknown tag"),
}
AUTH = {"401": err("Missing or invalid bearer token")}
IF_MATCH = {"name": "If-Match", "in": "header", "required": False, "schema": {"type": "string"}}
ETAG = {"ETag": {"schema": {"type": "string"}, "description": "The document's revision"}}


def with_etag(response: dict[str, Any]) -> dict[str, Any]:
    return {**response, "headers": ETAG}


def document_write(summary: str, doc: dict[str, Any]) -> dict[str, Any]:
    """PUT and PATCH of a document: same body schema, same conditional-write answers."""
    return {
        "summary": summary,
        "security": [{"bearer": []}],
        "parameters": [doc, IF_MATCH],
        "requestBody": body("DocumentInput"),
        "responses": {"200": with_etag(ok("Document")), **BAD_INPUT, **AUTH, "404": err("No such document"), "412": err("Stale If-Match")},
    }


def paths() -> dict[str, Any]:
    doc = path_param("doc_id")
    tag = path_param("tag_id")
    write = [{"bearer": []}]
    return {
        "/healthz": {"get": {"summary": "Liveness", "responses": {"200": ok("Status")}}},
        "/readyz": {"get": {"summary": "Readiness (a model is loaded)", "responses": {"200": ok("Status"), "503": err("No model yet")}}},
        "/openapi.json": {"get": {"summary": "This document", "responses": {"200": {"description": "OpenAPI 3.1"}}}},
        "/v1/tag": {
            "post": {
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
            "get": {"summary": "The taxonomy with document counts", "responses": {"200": ok("TagList"), **AUTH}},
            "post": {
                "summary": "Add a tag",
                "security": write,
                "requestBody": body("TagInput"),
                "responses": {"201": ok("Tag", "Created"), **BAD_INPUT, **AUTH, "409": err("The tag exists")},
            },
        },
        "/v1/tags/{tag_id}": {
            "patch": {
                "summary": "Rename (id or name), describe, set keywords; a rename rewrites every document",
                "security": write,
                "parameters": [tag],
                "requestBody": body("TagInput"),
                "responses": {"200": ok("Tag"), **BAD_INPUT, **AUTH, "409": err("The new id exists")},
            },
            "delete": {
                "summary": "Delete a tag; refused while documents use it unless migrate_to or drop",
                "security": write,
                "parameters": [tag, query("migrate_to", "string", "Move its documents to this tag"), query("drop", "boolean", "Remove it from its documents")],
                "responses": {"200": ok("DeleteTagResult"), **AUTH, "409": err("Documents use the tag"), "422": err("Unknown tag")},
            },
        },
        "/v1/tags/{tag_id}/merge": {
            "post": {
                "summary": "Merge this tag into another (its documents move, it is deleted)",
                "security": write,
                "parameters": [tag],
                "requestBody": {"required": True, "content": {JSON: {"schema": {"type": "object", "required": ["into"], "properties": {"into": {"type": "string"}}}}}},
                "responses": {"200": ok("MergeResult"), **BAD_INPUT, **AUTH},
            }
        },
        "/v1/documents": {
            "get": {
                "summary": "Documents by id, paged; filter by tag, untagged or text",
                "parameters": [
                    query("page", "integer", "1-based page"),
                    query("per_page", "integer", "1-100, default 20"),
                    query("tag", "string", "Only documents with this tag"),
                    query("untagged", "boolean", "Only documents without tags"),
                    query("labelled", "boolean", "Only labelled (true) or pool (false) documents"),
                    query("origin", "string", "own (documents people added), shipped (the labelled data that ships with ktag) or all (default)"),
                    query("q", "string", "Text search in title and text"),
                ],
                "responses": {"200": ok("DocumentPage"), **AUTH, "422": err("Bad query parameter or unknown tag")},
            },
            "post": {
                "summary": "Add a document",
                "security": write,
                "requestBody": body("DocumentInput"),
                "responses": {"201": with_etag(ok("Document", "Created")), **BAD_INPUT, **AUTH, "409": err("The id exists")},
            },
        },
        "/v1/documents/{doc_id}": {
            "get": {"summary": "A document", "parameters": [doc], "responses": {"200": with_etag(ok("Document")), **AUTH, "404": err("No such document")}},
            "put": document_write("Replace a document's fields", doc),
            "patch": document_write("Change some fields, or add_tags / remove_tags", doc),
            "delete": {
                "summary": "Delete a document",
                "security": write,
                "parameters": [doc, IF_MATCH],
                "responses": {"204": {"description": "Deleted"}, **AUTH, "404": err("No such document"), "412": err("Stale If-Match")},
            },
        },
        "/v1/documents/{doc_id}/confirm": {
            "post": {
                "summary": "A person keeps this document's tags: it leaves the suspect labels until its content changes",
                "security": write,
                "parameters": [doc, {"name": "If-Match", "in": "header", "required": False, "schema": {"type": "string"}}],
                "responses": {"200": with_etag(ok("Document")), **BAD_INPUT, **AUTH, "404": err("No such document"), "412": err("Stale If-Match")},
            }
        },
        "/v1/documents/{doc_id}/history": {
            "get": {"summary": "Every edit of a document", "parameters": [doc], "responses": {"200": ok("History"), **AUTH, "404": err("No such document")}}
        },
        "/v1/train": {
            "post": {
                "summary": "Retrain from the label store in the background",
                "security": write,
                "requestBody": {"required": False, "content": {JSON: {"schema": {"type": "object", "properties": {"activate": {"type": "boolean"}}}}}},
                "responses": {"202": ok("Job", "Started"), **BAD_INPUT, **AUTH, "409": err("A job is running")},
            }
        },
        "/v1/jobs/{job_id}": {
            "get": {"summary": "A training job's state", "parameters": [path_param("job_id")], "responses": {"200": ok("Job"), **AUTH, "404": err("No such job")}}
        },
        "/v1/suggestions": {
            "get": {
                "summary": "Documents the model is least sure about, least sure first (label these next)",
                "parameters": [
                    query("n", "integer", "1-100 per page, default 20"),
                    query("page", "integer", "1-based page"),
                    query("tag", "string", "Rank by certainty about this tag only"),
                    query("scope", "string", "pool (default: documents waiting for labels), labelled, all, or suspect (labelled documents whose stored tags the model confidently contradicts)"),
                    query("origin", "string", "own (documents people added), shipped (the labelled data that ships with ktag) or all (default)"),
                ],
                "responses": {"200": ok("SuggestionList"), **AUTH, "422": err("Bad query parameter or unknown tag"), "503": err("No model loaded yet")},
            }
        },
        "/v1/models": {"get": {"summary": "Stored model versions, newest first", "responses": {"200": ok("ModelList"), **AUTH}}},
        "/v1/models/{version}/activate": {
            "post": {
                "summary": "Serve this version (roll back or forward); every worker follows within seconds",
                "security": write,
                "parameters": [path_param("version")],
                "responses": {"200": ok("Model"), **AUTH, "404": err("No such version"), "422": err("The version fails its integrity checks")},
            }
        },
    }


def spec() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {"title": "ktag", "version": __version__, "description": "Korean document tagging and label editing"},
        "paths": paths(),
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }
