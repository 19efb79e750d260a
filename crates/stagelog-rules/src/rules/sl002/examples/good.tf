resource "aws_apigatewayv2_api" "good_http" {
  name          = "http"
  protocol_type = "HTTP"
}

resource "aws_cloudwatch_log_group" "good" {
  name = "/aws/vendedlogs/apigateway/http"
}

resource "aws_apigatewayv2_stage" "good" {
  api_id      = aws_apigatewayv2_api.good_http.id
  name        = "$default"
  auto_deploy = true

  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.good.arn
    format          = jsonencode({ requestId = "$context.requestId" })
  }
}
