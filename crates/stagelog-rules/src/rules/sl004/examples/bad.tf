resource "aws_cloudwatch_log_group" "bad" {
  name = "/aws/vendedlogs/apigateway/api"
}

# A heredoc keeps its line breaks, and `requestID` is a typo.
resource "aws_api_gateway_stage" "bad" {
  rest_api_id   = aws_api_gateway_rest_api.api.id
  deployment_id = aws_api_gateway_deployment.api.id
  stage_name    = "prod"

  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.bad.arn
    format          = <<EOT
{ "requestId": "$context.requestID",
  "status": "$context.status" }
EOT
  }
}
