"""Validate Argo Workflows resources offline against the Argo Workflows API schema.

The schema is the one the PyPI package hera-workflows ships as pydantic models, generated
(datamodel-codegen) from Argo Workflows' own OpenAPI document (argo-workflows-4.0.5.json, as
the models' header says). pydantic turns them back into a JSON Schema; every object with
declared properties is then closed (additionalProperties: false), since pydantic would
otherwise accept a misspelt field in silence -- the same strictness as
`kubernetes-validate --strict` for the core kinds.

Usage: python argo_validate.py FILE...   (exit 0 all valid, 1 invalid, 2 usage error)
"""

import sys

import jsonschema
import yaml
from hera.workflows import models

KINDS = {
    "Workflow": models.Workflow,
    "WorkflowTemplate": models.WorkflowTemplate,
    "ClusterWorkflowTemplate": models.ClusterWorkflowTemplate,
    "CronWorkflow": models.CronWorkflow,
}


def closed(node):
    """Close every object schema that lists its properties, in place."""
    if isinstance(node, dict):
        if "properties" in node and "additionalProperties" not in node:
            node["additionalProperties"] = False
        for v in node.values():
            closed(v)
    elif isinstance(node, list):
        for v in node:
            closed(v)
    return node


def main(paths):
    if not paths:
        print("usage: argo_validate.py FILE...", file=sys.stderr)
        return 2
    validators = {}
    bad = 0
    for path in paths:
        with open(path) as f:
            docs = [d for d in yaml.safe_load_all(f) if d is not None]
        for doc in docs:
            kind = doc.get("kind")
            if doc.get("apiVersion") != "argoproj.io/v1alpha1" or kind not in KINDS:
                print(f"{path}: not an Argo Workflows resource: {doc.get('apiVersion')} {kind}")
                bad += 1
                continue
            if kind not in validators:
                schema = closed(KINDS[kind].model_json_schema(by_alias=True, mode="validation"))
                validators[kind] = jsonschema.Draft202012Validator(schema)
            errors = sorted(validators[kind].iter_errors(doc), key=lambda e: list(e.path))
            name = doc.get("metadata", {}).get("name")
            for e in errors:
                # pydantic writes optional fields as anyOf [T, null]: report the error from the
                # branch that got deepest into the document rather than "not valid under any
                # of the given schemas"
                while e.context:
                    e = max(e.context, key=lambda c: len(c.absolute_path))
                where = "/".join(str(p) for p in e.absolute_path) or "(top)"
                print(f"{path}: {kind} {name}: {where}: {e.message[:300]}")
            if errors:
                bad += 1
            else:
                print(f"{path}: {kind} {name}: valid (Argo Workflows 4.0.5 schema, via hera-workflows)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
