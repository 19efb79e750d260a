resource "aws_api_gateway_stage" "bad" {
  rest_api_id   = aws_api_gateway_rest_api.api.id
  deployment_id = aws_api_gateway_deployment.api.id
  stage_name    = "prod"

  access_log_settings {
    destination_arn = "not-an-arn"
    format          = jsonencode({ requestId = "$context.requestId" })
  }
}

resource "aws_s3_bucket" "logs" {
  bucket = "my-api-logs"
}

resource "aws_apigatewayv2_stage" "bad_bucket" {
  api_id = aws_apigatewayv2_api.api.id
  name   = "prod"

  access_log_settings {
    destination_arn = aws_s3_bucket.logs.arn
    format          = jsonencode({ requestId = "$context.requestId" })
  }
}
