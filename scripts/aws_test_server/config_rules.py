"""AWS Config custom Lambda rules on moto's state, for what moto 5.2 lacks.

moto keeps Config rules (PutConfigRule, with the rule's Lambda function checked to exist) but
answers ``PutEvaluations`` only in test mode and has no ``GetComplianceDetailsByConfigRule``.
In AWS, Config invokes a custom rule's function with a ``resultToken`` that "identifies the rule
and the event that triggered the evaluation" (AWS Config API Reference, PutEvaluations); here
the test, which plays Config's part when it invokes the function, asks for one:

* ``POST /_stagelog/config/result-token`` with ``{"account", "region", "rule"}``: a token for
  that rule, as Config would put in the invocation event; ``404`` when moto has no such rule.
* ``PutEvaluations`` (``StarlingDoveService.PutEvaluations``) without ``TestMode``: the token
  must be one of these and belong to the caller's account and region (else
  ``InvalidResultTokenException``); each evaluation needs a resource type and id, a compliance
  type of ``COMPLIANT``, ``NON_COMPLIANT`` or ``NOT_APPLICABLE`` (``INSUFFICIENT_DATA`` is for
  managed rules only), an annotation of at most 256 characters and an ordering timestamp
  (else ``InvalidParameterValueException``). The newest evaluation of a resource (by ordering
  timestamp) is kept on the rule. ``TestMode`` stays moto's.
* ``GetComplianceDetailsByConfigRule``: the kept evaluations of a rule, filtered by
  ``ComplianceTypes``, as ``EvaluationResults``, paginated by ``Limit``/``NextToken``;
  ``NoSuchConfigRuleException`` for an unknown rule.
"""

import json
import threading
import time
import uuid

COMPLIANCE = ("COMPLIANT", "NON_COMPLIANT", "NOT_APPLICABLE")


class ConfigResults:
    def __init__(self):
        self.lock = threading.Lock()
        self.tokens = {}  # token -> (account, region, rule)
        self.results = {}  # (account, region, rule) -> {(type, id): result}


RESULTS = ConfigResults()


def rule_exists(account, region, rule):
    from moto.config.models import config_backends

    return rule in config_backends[account][region].config_rules


def issue_token(start_response, body, respond):
    request = json.loads(body or b"{}")
    key = (request.get("account"), request.get("region"), request.get("rule"))
    if not all(key) or not rule_exists(*key):
        return respond(start_response, {"message": f"no Config rule {key}"}, "404 Not Found")
    token = uuid.uuid4().hex
    with RESULTS.lock:
        RESULTS.tokens[token] = key
    return respond(start_response, {"token": token})


def json_error(start_response, kind, message):
    body = json.dumps({"__type": kind, "message": message}).encode()
    start_response("400 Bad Request", [
        ("Content-Type", "application/x-amz-json-1.1"),
        ("Content-Length", str(len(body))),
    ])
    return [body]


def json_ok(start_response, value):
    body = json.dumps(value).encode()
    start_response("200 OK", [
        ("Content-Type", "application/x-amz-json-1.1"),
        ("Content-Length", str(len(body))),
    ])
    return [body]


def put_evaluations(start_response, request, account, region):
    token = request.get("ResultToken")
    with RESULTS.lock:
        owner = RESULTS.tokens.get(token)
    if owner is None or owner[:2] != (account, region):
        return json_error(start_response, "InvalidResultTokenException", "The resultToken provided is invalid")
    evaluations = request.get("Evaluations") or []
    if not evaluations or len(evaluations) > 100:
        return json_error(start_response, "InvalidParameterValueException",
                          "Evaluations must hold between 1 and 100 evaluations")
    kept = []
    for e in evaluations:
        kind, rid, compliance = e.get("ComplianceResourceType"), e.get("ComplianceResourceId"), e.get("ComplianceType")
        annotation, ordering = e.get("Annotation", ""), e.get("OrderingTimestamp")
        if not kind or not rid or ordering is None:
            return json_error(start_response, "InvalidParameterValueException",
                              "An evaluation needs ComplianceResourceType, ComplianceResourceId and OrderingTimestamp")
        if compliance not in COMPLIANCE:
            return json_error(start_response, "InvalidParameterValueException",
                              f"ComplianceType {compliance} is not one of {', '.join(COMPLIANCE)} for a custom rule")
        if len(annotation) > 256:
            return json_error(start_response, "InvalidParameterValueException",
                              "The annotation is longer than 256 characters")
        kept.append((kind, rid, compliance, annotation, float(ordering)))
    now = time.time()
    with RESULTS.lock:
        results = RESULTS.results.setdefault(owner, {})
        for kind, rid, compliance, annotation, ordering in kept:
            old = results.get((kind, rid))
            if old and old["EvaluationResultIdentifier"]["OrderingTimestamp"] > ordering:
                continue
            results[(kind, rid)] = {
                "EvaluationResultIdentifier": {
                    "EvaluationResultQualifier": {
                        "ConfigRuleName": owner[2],
                        "ResourceType": kind,
                        "ResourceId": rid,
                    },
                    "OrderingTimestamp": ordering,
                },
                "ComplianceType": compliance,
                "ResultRecordedTime": now,
                "ConfigRuleInvokedTime": now,
                "Annotation": annotation,
                "ResultToken": token,
            }
    return json_ok(start_response, {"FailedEvaluations": []})


def compliance_details(start_response, request, account, region):
    rule = request.get("ConfigRuleName")
    if not rule or not rule_exists(account, region, rule):
        return json_error(start_response, "NoSuchConfigRuleException",
                          f"The ConfigRule '{rule}' provided in the request is invalid.")
    wanted = request.get("ComplianceTypes") or list(COMPLIANCE)
    with RESULTS.lock:
        found = [r for r in RESULTS.results.get((account, region, rule), {}).values() if r["ComplianceType"] in wanted]
    found.sort(key=lambda r: r["EvaluationResultIdentifier"]["EvaluationResultQualifier"]["ResourceId"])
    start = int(request.get("NextToken") or 0)
    limit = int(request.get("Limit") or 100)
    page = found[start:start + limit]
    answer = {"EvaluationResults": page}
    if start + limit < len(found):
        answer["NextToken"] = str(start + limit)
    return json_ok(start_response, answer)


def patched(start_response, body, operation, account, region):
    """Answers the Config operations above; None for the rest (moto's own)."""
    request = json.loads(body or b"{}")
    if operation == "PutEvaluations" and not request.get("TestMode"):
        return put_evaluations(start_response, request, account, region)
    if operation == "GetComplianceDetailsByConfigRule":
        return compliance_details(start_response, request, account, region)
    return None
