"""Checks stagelog's guardrails with the engines' own tools, for tests/live/guardrails.rs.

  scp POLICY...       parliament (PyPI) on each policy; prints its findings as JSON, with the
                      ones parliament reports only because its action table lacks keys AWS
                      documents on the resource types (checked against parliament's own data)
                      set apart as "keyed_by_resource".
  eventbridge ENDPOINT PATTERN_JSON EVENTS_JSON
                      a rule with PATTERN on the test server's EventBridge, targeting an SQS
                      queue; puts EVENTS (CloudTrail-shaped) and prints the eventNames that
                      reached the queue.
  config-rule ENDPOINT REGION RULE
                      in the account of the credentials in the environment: the stagelog
                      function (provided.al2023, its code a placeholder: the test runs the real
                      binary under a Lambda runtime emulator) and a Config custom rule invoking it
                      on API Gateway stages' changes and hourly; prints the function's ARN.
"""
import json
import re
import sys


def scp(paths):
    from parliament import analyze_policy_string, iam_definition

    apigw = [s for s in iam_definition if s["prefix"] == "apigateway"]
    types = []
    for service in apigw:
        for r in service["resources"]:
            pattern = re.escape(r["arn"])
            pattern = re.sub(r"\\\$\\\{[^}]*\\\}", "[^/]+", pattern)
            types.append((re.compile("^" + pattern + "$"), set(r["condition_keys"])))

    def keyed(statement, key):
        resources = statement.get("Resource", [])
        if isinstance(resources, str):
            resources = [resources]
        sample = [r.replace("*", "x") for r in resources]
        return bool(sample) and all(
            any(rx.match(s) and key in keys for rx, keys in types) for s in sample
        )

    out = []
    for path in paths:
        text = open(path).read()
        doc = json.loads(text)
        policy = analyze_policy_string(text)
        findings, by_resource = [], []
        for f in policy.findings:
            entry = {"issue": f.issue, "detail": str(f.detail)}
            m = re.match(r"Unknown condition (\S+) for action", str(f.detail))
            if f.issue == "UNKNOWN_CONDITION_FOR_ACTION" and m and all(
                keyed(s, m.group(1))
                for s in doc["Statement"]
                if m.group(1) in json.dumps(s.get("Condition", {}))
            ):
                by_resource.append(entry)
            else:
                findings.append(entry)
        out.append({"file": path, "findings": findings, "keyed_by_resource": by_resource})
    print(json.dumps(out))


def eventbridge(endpoint, pattern, events):
    import boto3

    kw = dict(
        endpoint_url=endpoint,
        region_name="eu-west-1",
        aws_access_key_id="AKIASTAGELOGTEST0001",
        aws_secret_access_key="stagelog-test-secret",
    )
    sqs = boto3.client("sqs", **kw)
    ev = boto3.client("events", **kw)
    url = sqs.create_queue(QueueName="stagelog-guardrails")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    ev.put_rule(Name="stagelog-stage-logging", EventPattern=pattern, State="ENABLED")
    ev.put_targets(Rule="stagelog-stage-logging", Targets=[{"Id": "q", "Arn": arn}])
    for e in json.loads(events):
        ev.put_events(Entries=[{
            "Source": e["source"],
            "DetailType": e["detail-type"],
            "Detail": json.dumps(e["detail"]),
        }])
    got = []
    while True:
        msgs = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", [])
        if not msgs:
            break
        for m in msgs:
            got.append(json.loads(m["Body"])["detail"]["eventName"])
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    print(json.dumps(sorted(got)))


def config_rule(endpoint, region, rule):
    import io
    import zipfile

    import boto3

    iam = boto3.client("iam", endpoint_url=endpoint, region_name=region)
    role = iam.create_role(
        RoleName="stagelog-function",
        AssumeRolePolicyDocument=json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
        }),
    )["Role"]["Arn"]
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as z:
        z.writestr("bootstrap", "placeholder: the emulator runs the real binary")
    fn = boto3.client("lambda", endpoint_url=endpoint, region_name=region).create_function(
        FunctionName="stagelog", Runtime="provided.al2023", Handler="bootstrap", Role=role,
        Architectures=["arm64"], Code={"ZipFile": code.getvalue()},
    )["FunctionArn"]
    boto3.client("config", endpoint_url=endpoint, region_name=region).put_config_rule(ConfigRule={
        "ConfigRuleName": rule,
        "Scope": {"ComplianceResourceTypes": ["AWS::ApiGateway::Stage", "AWS::ApiGatewayV2::Stage"]},
        "Source": {
            "Owner": "CUSTOM_LAMBDA",
            "SourceIdentifier": fn,
            "SourceDetails": [
                {"EventSource": "aws.config", "MessageType": "ConfigurationItemChangeNotification"},
                {"EventSource": "aws.config", "MessageType": "OversizedConfigurationItemChangeNotification"},
                {"EventSource": "aws.config", "MessageType": "ScheduledNotification", "MaximumExecutionFrequency": "One_Hour"},
            ],
        },
    })
    print(json.dumps({"function": fn}))


if __name__ == "__main__":
    if sys.argv[1] == "scp":
        scp(sys.argv[2:])
    elif sys.argv[1] == "config-rule":
        config_rule(*sys.argv[2:5])
    else:
        eventbridge(*sys.argv[2:5])
