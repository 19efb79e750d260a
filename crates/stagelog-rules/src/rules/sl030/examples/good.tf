# The role is set (this rule); in real code the account resource lives in a baseline
# configuration of its own (SL032).
resource "aws_api_gateway_account" "good" {
  cloudwatch_role_arn = aws_iam_role.apigw_cloudwatch.arn
}

resource "aws_iam_role" "apigw_cloudwatch" {
  name               = "apigateway-cloudwatch"
  assume_role_policy = data.aws_iam_policy_document.apigw_trust.json
}

resource "aws_api_gateway_stage" "good" {
  rest_api_id   = aws_api_gateway_rest_api.api.id
  deployment_id = aws_api_gateway_deployment.api.id
  stage_name    = "prod"

  access_log_settings {
    destination_arn = "arn:aws:logs:eu-west-1:123456789012:log-group:api"
    format          = jsonencode({ requestId = "$context.requestId" })
  }
}
