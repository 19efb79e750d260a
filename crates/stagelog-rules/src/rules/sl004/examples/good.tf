resource "aws_cloudwatch_log_group" "good" {
  name = "/aws/vendedlogs/apigateway/api"
}

resource "aws_api_gateway_stage" "good" {
  rest_api_id   = aws_api_gateway_rest_api.api.id
  deployment_id = aws_api_gateway_deployment.api.id
  stage_name    = "prod"

  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.good.arn
    format = jsonencode({
      requestId = "$context.requestId"
      status    = "$context.status"
    })
  }
}
