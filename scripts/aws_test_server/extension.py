"""stagelog's test server: moto's standalone server plus a small WSGI layer in front of it.

The layer adds only what the tests need and moto does not offer, and nothing else:

* ``GET /_stagelog/requests`` lists the AWS operations received since the last
  ``DELETE /_stagelog/requests``, as ``[{"service", "operation", "account_key",
  "region", "method", "path", "user_agent"}]``: tests count them (audit must call no write API; requests per operation in the
  benchmark).
* ``POST /_stagelog/faults`` with ``{"rate": 0.3, "seed": 7, "services": ["apigateway"],
  "user_agent_contains": "app/stagelog", "operations": ["UpdateStage"], "accounts": [...]}``
  answers that share of matching AWS requests with the throttling error of the service's
  protocol (HTTP 429/400, as AWS does), chosen by a seeded generator so runs repeat;
  ``{"rate": 0}`` turns it off. The audit must still finish with complete results. The same
  call sets ``"latency_ms"`` (added to every AWS request, as a real region's round trip) and
  ``"rate_limits": {"apigateway": {"rate": 10, "burst": 40}}``: each service's quota per
  account and region, a token bucket as AWS meters it, above which requests are throttled
  (only in ``"accounts"`` when given).
  Each recorded request carries its ``account``, ``time`` and whether it was ``throttled``.
* Account ``ListRegions`` (``POST /listRegions``, which moto 5.2 does not implement): answers
  in the shape of the AWS Account API reference with the regions in STAGELOG_TEST_REGIONS
  (``name:STATUS`` pairs, default below), honouring ``RegionOptStatusContains``.

* Operations moto 5.2 answers with HTTP 500, implemented on moto's own state as the AWS API
  reference describes them (``patched_operation`` below):
  API Gateway v2 ``UpdateStage`` (fields absent from the request are left unchanged; settings
  objects are merged field by field), ``DeleteAccessLogSettings`` (the stage has no access log
  settings afterwards), and v1 ``UpdateAccount`` with ``op: remove, path: /cloudwatchRoleArn``
  (the account has no CloudWatch role afterwards). Also v1 ``UpdateStage`` with ``op: remove``
  on a method settings path (``/*/*``, ``/~1pets/GET``), which moto ignores: the method
  setting is removed, as the Terraform provider relies on when it deletes method settings.

* CloudWatch ``PutMetricData`` and ``GetMetricData`` in the Smithy RPC v2 CBOR protocol
  (``POST /service/GraniteServiceVersion20100801/operation/NAME``), which current AWS SDKs
  send and moto 5.2 does not route (HTTP 404): decoded, run on moto's own CloudWatch state,
  and answered in CBOR (``cloudwatch_cbor`` below). ``stagelog verify`` reads request counts
  with GetMetricData; tests seed them with PutMetricData.

* STS ``AssumeRole`` into an account of an Organization checks that the role exists there,
  as AWS does (moto lets any role be assumed): a member account whose
  ``OrganizationAccountAccessRole`` (which Organizations ``CreateAccount`` makes, in moto too)
  was deleted answers ``AccessDenied``, so an organisation walk meets an account it cannot
  enter. Accounts outside any Organization keep moto's behaviour, which the tests use to reach
  accounts of their own.
* CloudWatch Logs ``PutDeliverySource`` for API Gateway execution logs (log type
  ``EXECUTION_LOGS``, resource ``arn:aws:apigateway:REGION:ACCOUNT:/restapis/ID/stages/NAME``),
  which moto refuses for every API Gateway resource: accepted as AWS does, only for a REST stage
  that exists and whose execution logging (``*/*``) is ERROR or INFO; otherwise
  ``ValidationException``. The source is kept on moto's own state, so moto's
  ``DescribeDeliverySources``, ``CreateDelivery`` and ``DescribeDeliveries`` see it.
* CloudWatch Logs ``DescribeLogGroups`` with ``logGroupIdentifiers`` (1 to 50 group names or
  ARNs, alone: not with a prefix or pattern), which moto ignores (it lists every group): only
  the groups named, as AWS answers.
* Log classes: ``CreateLogGroup`` keeps ``logGroupClass`` (``STANDARD`` unless given) and
  ``DescribeLogGroups`` returns it, which moto drops; ``FilterLogEvents`` on an
  ``INFREQUENT_ACCESS`` group answers ``InvalidOperationException`` as AWS does (Logs
  Insights reads such groups).
* Organizations ``ListAccounts`` outside the management account, which moto answers with an
  empty list: as AWS does, ``AWSOrganizationsNotInUseException`` for an account in no
  Organization, ``AccessDeniedException`` for a member that is not a delegated administrator,
  and the Organization's accounts for one that is.

* AWS Config custom Lambda rules: ``PutEvaluations`` outside test mode and
  ``GetComplianceDetailsByConfigRule``, on the rules moto keeps, with result tokens a test asks
  for at ``POST /_stagelog/config/result-token`` as Config would hand them to the rule's
  function (``config_rules.py`` says how).

Everything else goes to moto unchanged. Only 127.0.0.1 is bound.
"""

import argparse
import io
import json
import os
import random
import re
import threading
import time
import urllib.parse

import config_rules
from werkzeug.serving import make_server
from werkzeug.wrappers import Request

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)

DEFAULT_REGIONS = (
    "us-east-1:ENABLED_BY_DEFAULT,us-west-2:ENABLED_BY_DEFAULT,eu-west-1:ENABLED_BY_DEFAULT,"
    "eu-central-1:ENABLED_BY_DEFAULT,ap-southeast-2:ENABLED_BY_DEFAULT,"
    "eu-south-1:ENABLED,af-south-1:DISABLED,me-central-1:DISABLED"
)

CREDENTIAL = re.compile(r"Credential=([^/]+)/[^/]+/([^/]+)/([^/]+)/")


class State:
    def __init__(self):
        self.lock = threading.Lock()
        self.requests = []
        self.fault_rate = 0.0
        self.fault_services = None
        self.fault_agent = ""
        self.fault_operations = None
        self.fault_accounts = None
        self.rng = random.Random(0)
        # Latency added to every AWS request, and each service's rate per account and region
        # above which it is throttled (token buckets by account, region, service).
        self.latency = 0.0
        self.rate_limits = {}
        self.buckets = {}


RPC_V2 = re.compile(r"^/service/[^/]+/operation/([A-Za-z]+)$")


def operation_of(environ, body, service):
    """The AWS operation a request calls, from its target header, Action parameter, RPC v2
    path, or the service model's HTTP routes (REST-JSON services such as API Gateway)."""
    rpc = RPC_V2.match(environ.get("PATH_INFO", ""))
    if rpc:
        return rpc.group(1)
    target = environ.get("HTTP_X_AMZ_TARGET")
    if target:
        return target.split(".")[-1]
    if b"Action=" in body:
        action = urllib.parse.parse_qs(body.decode("utf-8", "replace")).get("Action")
        if action:
            return action[0]
    query = urllib.parse.parse_qs(environ.get("QUERY_STRING", ""))
    if "Action" in query:
        return query["Action"][0]
    try:
        from moto.core.routing import get_service_router

        env = dict(environ)
        env["wsgi.input"] = io.BytesIO(body)
        request = Request(env)
        # What moto's router reads: the path as sent (still percent-encoded), without the query.
        request.raw_path = (environ.get("RAW_URI") or request.path).split("?")[0]
        operation, _ = get_service_router(service).match(request)
        return operation.name
    except Exception:  # noqa: BLE001 - unknown routes are recorded by method and path
        return f"{environ.get('REQUEST_METHOD')} {environ.get('PATH_INFO')}"


def throttle(start_response, protocol):
    if protocol == "rest-json":
        body = json.dumps({"message": "Too Many Requests"}).encode()
        headers = [
            ("Content-Type", "application/json"),
            ("x-amzn-ErrorType", "TooManyRequestsException"),
        ]
        status = "429 Too Many Requests"
    elif protocol == "json":
        body = json.dumps({"__type": "ThrottlingException", "message": "Rate exceeded"}).encode()
        headers = [("Content-Type", "application/x-amz-json-1.1")]
        status = "400 Bad Request"
    else:
        body = (
            b"<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code>"
            b"<Message>Rate exceeded</Message></Error><RequestId>x</RequestId></ErrorResponse>"
        )
        headers = [("Content-Type", "text/xml")]
        status = "400 Bad Request"
    start_response(status, headers + [("Content-Length", str(len(body)))])
    return [body]


def protocol_of(environ, service):
    if environ.get("HTTP_X_AMZ_TARGET"):
        return "json"
    if service in ("iam", "sts"):
        return "query"
    return "rest-json"


def json_response(start_response, value, status="200 OK"):
    body = json.dumps(value).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


V1_STAGE = re.compile(r"^/restapis/([^/]+)/stages/([^/]+)$")
V2_STAGE = re.compile(r"^/v2/apis/([^/]+)/stages/([^/]+)(/accesslogsettings)?$")
# UpdateStage members whose value is an object: merged, not replaced.
MERGED = ("accessLogSettings", "defaultRouteSettings")
UPDATABLE = (
    "accessLogSettings", "autoDeploy", "clientCertificateId", "defaultRouteSettings",
    "deploymentId", "description", "routeSettings", "stageVariables",
)


def error(start_response, status, kind, message):
    body = json.dumps({"message": message}).encode()
    start_response(status, [
        ("Content-Type", "application/json"),
        ("x-amzn-ErrorType", kind),
        ("Content-Length", str(len(body))),
    ])
    return [body]


def account_of(environ, access_key):
    """The account moto serves the request from (its access keys map to accounts)."""
    from moto.iam.models import get_account_id_from

    return environ.get("HTTP_X_MOTO_ACCOUNT_ID") or get_account_id_from(access_key)


def patched_operation(environ, start_response, body, service, method, path, access_key, region):
    """Answers the operations moto lacks; None when the request is not one of them."""
    account = account_of(environ, access_key)
    match = V2_STAGE.match(urllib.parse.unquote(path))
    if service == "apigatewayv2" and match and method in ("PATCH", "DELETE"):
        from moto.apigatewayv2.models import apigatewayv2_backends

        api_id, stage_name, access_logs = match.groups()
        api = apigatewayv2_backends[account][region].apis.get(api_id)
        stage = api.stages.get(stage_name) if api else None
        if stage is None:
            return error(start_response, "404 Not Found", "NotFoundException", "Invalid stage identifier specified")
        if method == "DELETE" and access_logs:
            stage.access_log_settings = None
            start_response("204 No Content", [("Content-Length", "0")])
            return [b""]
        if method == "PATCH" and not access_logs:
            changes = json.loads(body or b"{}")
            for key in UPDATABLE:
                if key not in changes:
                    continue
                value = changes[key]
                attr = {
                    "accessLogSettings": "access_log_settings",
                    "autoDeploy": "auto_deploy",
                    "clientCertificateId": "client_certificate_id",
                    "defaultRouteSettings": "default_route_settings",
                    "deploymentId": "deployment_id",
                    "description": "description",
                    "routeSettings": "route_settings",
                    "stageVariables": "stage_variables",
                }[key]
                if key in MERGED and isinstance(value, dict):
                    merged = dict(getattr(stage, attr, None) or {})
                    merged.update(value)
                    value = merged
                elif key == "routeSettings" and isinstance(value, dict):
                    routes = dict(stage.route_settings or {})
                    for route, settings in value.items():
                        routes[route] = {**routes.get(route, {}), **settings}
                    value = routes
                setattr(stage, attr, value)
            from datetime import datetime

            stage.updated = datetime.now()
            return json_response(start_response, stage.to_json())
    v1 = V1_STAGE.match(urllib.parse.unquote(path))
    if service == "apigateway" and v1 and method == "PATCH":
        ops = json.loads(body or b"{}").get("patchOperations", [])
        removals = [
            op for op in ops
            if op.get("op") == "remove" and op.get("path") != "/accessLogSettings"
            and op.get("path", "").count("/") == 2
        ]
        if removals:
            from moto.apigateway.models import apigateway_backends

            try:
                stage = apigateway_backends[account][region].get_stage(*v1.groups())
            except Exception:  # noqa: BLE001 - moto's own not-found errors
                return error(start_response, "404 Not Found", "NotFoundException", "Invalid stage identifier specified")
            for op in removals:
                stage.method_settings.pop(op["path"][1:], None)
            rest = [op for op in ops if op not in removals]
            if rest:
                stage.apply_operations(rest)
            return json_response(start_response, stage.to_json())
    if service == "apigateway" and path == "/account" and method == "PATCH":
        ops = json.loads(body or b"{}").get("patchOperations", [])
        if any(op.get("op") == "remove" and op.get("path") == "/cloudwatchRoleArn" for op in ops):
            from moto.apigateway.models import apigateway_backends

            backend = apigateway_backends[account][region]
            rest = [op for op in ops if not (op.get("op") == "remove" and op.get("path") == "/cloudwatchRoleArn")]
            backend.account.cloudwatch_role_arn = None
            if rest:
                backend.account.apply_patch_operations(rest)
            return json_response(start_response, backend.account.to_json())
    return None


def cloudwatch_cbor(environ, start_response, body, path, access_key, region):
    """CloudWatch over Smithy RPC v2 CBOR; None when the request is not one handled here."""
    match = RPC_V2.match(path)
    if not match or not path.startswith("/service/GraniteServiceVersion20100801/"):
        return None
    import datetime

    import cbor2
    from moto.cloudwatch.models import cloudwatch_backends

    def naive(t):
        # moto keeps UTC times without a zone; CBOR tag 1 decodes to an aware datetime.
        if isinstance(t, datetime.datetime) and t.tzinfo is not None:
            return t.astimezone(datetime.timezone.utc).replace(tzinfo=None)
        return t

    def answer(value, status="200 OK"):
        out = cbor2.dumps(value, datetime_as_timestamp=True, timezone=datetime.timezone.utc)
        start_response(status, [
            ("Content-Type", "application/cbor"),
            ("smithy-protocol", "rpc-v2-cbor"),
            ("Content-Length", str(len(out))),
        ])
        return [out]

    request = cbor2.loads(body) if body else {}
    backend = cloudwatch_backends[account_of(environ, access_key)][region]
    operation = match.group(1)
    if operation == "PutMetricData":
        data = [{**d, "Timestamp": naive(d.get("Timestamp"))} for d in request.get("MetricData", [])]
        backend.put_metric_data(request["Namespace"], data)
        return answer({})
    if operation == "GetMetricData":
        results = backend.get_metric_data(
            queries=request.get("MetricDataQueries", []),
            start_time=naive(request["StartTime"]),
            end_time=naive(request["EndTime"]),
            scan_by=request.get("ScanBy", "TimestampAscending"),
        )
        return answer({
            "MetricDataResults": [
                {
                    "Id": r["id"],
                    "Label": r["label"],
                    "Values": [float(v) for v in r["values"]],
                    "Timestamps": [t.replace(tzinfo=datetime.timezone.utc) for t in r["timestamps"]],
                    "StatusCode": r["status_code"],
                }
                for r in results
            ],
            "Messages": [],
        })
    return None


def list_regions(start_response, body):
    wanted = None
    if body:
        try:
            wanted = json.loads(body).get("RegionOptStatusContains")
        except ValueError:
            pass
    regions = []
    for pair in os.environ.get("STAGELOG_TEST_REGIONS", DEFAULT_REGIONS).split(","):
        name, status = pair.split(":")
        if wanted is None or status in wanted:
            regions.append({"RegionName": name, "RegionOptStatus": status})
    return json_response(start_response, {"Regions": regions})


class Extension:
    def __init__(self, app):
        self.app = app
        self.state = State()

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        size = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(size) if size else b""
        environ["wsgi.input"] = io.BytesIO(body)

        if path == "/_stagelog/requests":
            with self.state.lock:
                if method == "DELETE":
                    self.state.requests = []
                    return json_response(start_response, {"ok": True})
                return json_response(start_response, list(self.state.requests))
        if path == "/_stagelog/faults" and method == "POST":
            cfg = json.loads(body or b"{}")
            with self.state.lock:
                self.state.fault_rate = float(cfg.get("rate", 0))
                self.state.fault_services = cfg.get("services")
                self.state.fault_agent = cfg.get("user_agent_contains", "")
                self.state.fault_operations = cfg.get("operations")
                self.state.fault_accounts = cfg.get("accounts")
                self.state.rng = random.Random(cfg.get("seed", 0))
                self.state.latency = float(cfg.get("latency_ms", 0)) / 1000
                self.state.rate_limits = cfg.get("rate_limits") or {}
                self.state.buckets = {}
            return json_response(start_response, {"ok": True})

        if path == "/_stagelog/config/result-token" and method == "POST":
            return config_rules.issue_token(start_response, body, json_response)

        match = CREDENTIAL.search(environ.get("HTTP_AUTHORIZATION", ""))
        if not match:
            return self.app(environ, start_response)
        access_key, region, service = match.groups()
        if service == "apigateway" and path.startswith("/v2/"):
            service = "apigatewayv2"
        if service == "account" and path == "/listRegions":
            self.record(service, "ListRegions", access_key, region, method, path, environ.get("HTTP_USER_AGENT", ""))
            return list_regions(start_response, body)
        operation = operation_of(environ, body, service)
        user_agent = environ.get("HTTP_USER_AGENT", "")
        account = account_of(environ, access_key)
        over = self.over_rate(account, region, service)
        self.record(service, operation, access_key, region, method, path, user_agent, account, over)
        if self.state.latency:
            time.sleep(self.state.latency)
        if over:
            return throttle(start_response, protocol_of(environ, service))

        with self.state.lock:
            inject = (
                self.state.fault_rate > 0
                and (self.state.fault_services is None or service in self.state.fault_services)
                and self.state.fault_agent in user_agent
                and (self.state.fault_operations is None or operation in self.state.fault_operations)
                and (self.state.fault_accounts is None or account_of(environ, access_key) in self.state.fault_accounts)
                and self.state.rng.random() < self.state.fault_rate
            )
        if inject:
            return throttle(start_response, protocol_of(environ, service))
        patched = patched_operation(environ, start_response, body, service, method, path, access_key, region)
        if patched is None and service == "config":
            patched = config_rules.patched(start_response, body, operation, account_of(environ, access_key), region)
        if patched is None and service == "monitoring":
            patched = cloudwatch_cbor(environ, start_response, body, path, access_key, region)
        if patched is not None:
            return patched
        return self.app(environ, start_response)

    def over_rate(self, account, region, service):
        """A token bucket per account, region and service, as AWS meters its quotas: True when
        this request is over the rate (and burst) set for the service."""
        limit = self.state.rate_limits.get(service)
        if not limit or (self.state.fault_accounts is not None and account not in self.state.fault_accounts):
            return False
        rate, burst = float(limit["rate"]), float(limit.get("burst", limit["rate"]))
        now = time.monotonic()
        with self.state.lock:
            tokens, last = self.state.buckets.get((account, region, service), (burst, now))
            tokens = min(burst, tokens + (now - last) * rate)
            over = tokens < 1
            self.state.buckets[(account, region, service)] = (tokens if over else tokens - 1, now)
        return over

    def record(self, service, operation, access_key, region, method, path, user_agent, account=None, throttled=False):
        with self.state.lock:
            self.state.requests.append(
                {
                    "service": service,
                    "operation": operation,
                    "account_key": access_key,
                    "account": account,
                    "region": region,
                    "method": method,
                    "path": path,
                    "user_agent": user_agent,
                    "time": time.time(),
                    "throttled": throttled,
                }
            )


def require_roles_in_organization_accounts():
    """Patches moto's AssumeRole (see the module's docstring)."""
    from moto.iam import iam_backends
    from moto.organizations.models import organizations_backends
    from moto.sts.exceptions import STSClientError
    from moto.sts.models import STSBackend

    original = STSBackend.assume_role
    # moto warns that STS's model has no AccessDenied shape; the code is what AWS sends.
    import warnings

    warnings.filterwarnings("ignore", message=r"Exception\(STSClientError\) with code AccessDenied")

    def assume_role(self, region_name, role_session_name, role_arn, *args, **kwargs):
        parts = role_arn.split(":")
        if len(parts) == 6 and parts[5].startswith("role/"):
            account = parts[4]
            name = parts[5].split("/")[-1]
            if account in organizations_backends.master_accounts:
                roles = iam_backends[account]["global"].get_roles()
                if not any(r.name == name for r in roles):
                    raise STSClientError(
                        "AccessDenied",
                        f"User: arn:aws:sts::{self.account_id}:assumed-role/caller/{role_session_name} "
                        f"is not authorized to perform: sts:AssumeRole on resource: {role_arn}",
                    )
        return original(self, region_name, role_session_name, role_arn, *args, **kwargs)

    STSBackend.assume_role = assume_role


def api_gateway_execution_log_sources():
    """Patches moto's PutDeliverySource (see the module's docstring)."""
    from moto.apigateway.models import apigateway_backends
    from moto.logs.exceptions import ResourceNotFoundException, ValidationException
    from moto.logs.models import DeliverySource, LogsBackend

    original = LogsBackend.put_delivery_source
    stage_arn = re.compile(r"^arn:[^:]+:apigateway:([^:]+):(\d{12}):/restapis/([^/]+)/stages/([^/]+)$")

    def put_delivery_source(self, name, resource_arn, log_type, tags):
        if resource_arn.split(":")[2:3] != ["apigateway"]:
            return original(self, name, resource_arn, log_type, tags)
        if log_type != "EXECUTION_LOGS":
            raise ValidationException(" This service is not allowed for this LogSource.")
        match = stage_arn.match(resource_arn)
        if not match:
            raise ValidationException(f"Invalid resource ARN for API Gateway execution logs: {resource_arn}")
        region, account, api_id, stage_name = match.groups()
        try:
            stage = apigateway_backends[account][region].get_stage(api_id, stage_name)
        except Exception:  # noqa: BLE001 - moto raises its own not-found errors
            raise ResourceNotFoundException(msg="Cannot access provided service.")
        level = (stage.method_settings.get("*/*") or {}).get("loggingLevel", "OFF")
        if level not in ("ERROR", "INFO"):
            raise ValidationException(
                "Execution logging must be enabled (ERROR or INFO) on the stage before its "
                "execution logs can be delivered"
            )
        source = DeliverySource(
            account_id=self.account_id,
            region=self.region_name,
            name=name,
            resource_arn=resource_arn,
            log_type=log_type,
            tags=tags,
        )
        self.delivery_sources[name] = source
        return source

    LogsBackend.put_delivery_source = put_delivery_source


def log_classes():
    """Patches moto's log groups with their class (see the module's docstring)."""
    from moto.logs.exceptions import LogsClientError
    from moto.logs.models import LogGroup, LogsBackend
    from moto.logs.responses import LogsResponse

    def create_log_group(self):
        self.logs_backend.create_log_group(
            self._get_param("logGroupName"),
            self._get_param("tags"),
            kmsKeyId=self._get_param("kmsKeyId"),
            logGroupClass=self._get_param("logGroupClass") or "STANDARD",
        )
        return ""

    LogsResponse.create_log_group = create_log_group

    describe = LogGroup.to_describe_dict

    def to_describe_dict(self):
        out = describe(self)
        out["logGroupClass"] = getattr(self, "log_group_class", None) or "STANDARD"
        return out

    LogGroup.to_describe_dict = to_describe_dict
    init = LogGroup.__init__

    def log_group_init(self, *args, **kwargs):
        init(self, *args, **kwargs)
        self.log_group_class = kwargs.get("logGroupClass") or "STANDARD"

    LogGroup.__init__ = log_group_init
    filter_log_events = LogsBackend.filter_log_events

    def filter_events(self, log_group_name, *args, **kwargs):
        group = self.groups.get(log_group_name)
        if group is not None and getattr(group, "log_group_class", "") == "INFREQUENT_ACCESS":
            raise LogsClientError(
                "InvalidOperationException",
                "FilterLogEvents is not supported for this log class (INFREQUENT_ACCESS)",
            )
        return filter_log_events(self, log_group_name, *args, **kwargs)

    LogsBackend.filter_log_events = filter_events


def log_group_identifiers():
    """Patches moto's DescribeLogGroups with ``logGroupIdentifiers`` (see the module's docstring)."""
    from moto.logs.exceptions import LogsClientError
    from moto.logs.responses import LogsResponse

    describe_log_groups = LogsResponse.describe_log_groups

    def describe_by_identifiers(self):
        identifiers = self._get_param("logGroupIdentifiers")
        if identifiers is None:
            return describe_log_groups(self)
        if not 1 <= len(identifiers) <= 50:
            raise LogsClientError(
                "InvalidParameterException",
                "1 validation error detected: Value at 'logGroupIdentifiers' failed to satisfy "
                "constraint: Member must have length less than or equal to 50",
            )
        if self._get_param("logGroupNamePrefix") or self._get_param("logGroupNamePattern"):
            raise LogsClientError(
                "InvalidParameterException",
                "logGroupIdentifiers cannot be combined with logGroupNamePrefix or logGroupNamePattern",
            )
        # Names (or ARNs, with or without the trailing :*) of the caller's groups.
        names = {i.split(":log-group:", 1)[-1].removesuffix(":*") for i in identifiers}
        groups = [g for name, g in sorted(self.logs_backend.groups.items()) if name in names]
        return json.dumps({"logGroups": [g.to_describe_dict() for g in groups]})

    LogsResponse.describe_log_groups = describe_by_identifiers


def list_accounts_only_where_aws_answers():
    """Patches moto's ListAccounts (see the module's docstring)."""
    from moto.organizations import exceptions
    from moto.organizations.models import OrganizationsBackend, organizations_backends

    original = OrganizationsBackend.list_accounts

    def list_accounts(self, *args, **kwargs):
        if self.org is not None:
            return original(self, *args, **kwargs)
        if self.account_id not in organizations_backends.master_accounts:
            raise exceptions.AWSOrganizationsNotInUseException()
        management, partition = organizations_backends.master_accounts[self.account_id]
        backend = organizations_backends[management][partition]
        if any(a.account.id == self.account_id for a in backend.admins):
            return original(backend, *args, **kwargs)
        raise exceptions.OrganizationsClientError(
            "AccessDeniedException",
            "You don't have permissions to access this resource.",
        )

    OrganizationsBackend.list_accounts = list_accounts


def watch_parent(pid):
    import time

    while True:
        try:
            os.kill(pid, 0)
        except OSError:
            os._exit(0)
        time.sleep(0.5)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--exit-with-pid", type=int, help="stop when this process is gone")
    args = parser.parse_args()
    if args.exit_with_pid:
        threading.Thread(target=watch_parent, args=(args.exit_with_pid,), daemon=True).start()
    require_roles_in_organization_accounts()
    list_accounts_only_where_aws_answers()
    api_gateway_execution_log_sources()
    log_classes()
    log_group_identifiers()
    app = Extension(DomainDispatcherApplication(create_backend_app))
    server = make_server("127.0.0.1", args.port, app, threaded=True, request_handler=MotoRequestHandler)
    print(f"listening on http://127.0.0.1:{server.server_port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
