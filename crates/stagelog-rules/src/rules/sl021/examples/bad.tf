resource "aws_cloudwatch_log_group" "bad" {
  name              = "/aws/vendedlogs/apigateway/api"
  retention_in_days = 365
}

resource "aws_api_gateway_stage" "bad" {
  rest_api_id   = aws_api_gateway_rest_api.api.id
  deployment_id = aws_api_gateway_deployment.api.id
  stage_name    = "prod"

  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.bad.arn
    format          = jsonencode({ requestId = "$context.requestId" })
  }
}
