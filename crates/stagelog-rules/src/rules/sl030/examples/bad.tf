# The account resource sets no role: REST stages cannot deliver logs.
resource "aws_api_gateway_account" "bad" {}

resource "aws_api_gateway_stage" "bad" {
  rest_api_id   = aws_api_gateway_rest_api.api.id
  deployment_id = aws_api_gateway_deployment.api.id
  stage_name    = "prod"

  access_log_settings {
    destination_arn = "arn:aws:logs:eu-west-1:123456789012:log-group:api"
    format          = jsonencode({ requestId = "$context.requestId" })
  }
}
