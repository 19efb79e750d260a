resource "aws_apigatewayv2_api" "bad_http" {
  name          = "http"
  protocol_type = "HTTP"
}

resource "aws_apigatewayv2_stage" "bad" {
  api_id      = aws_apigatewayv2_api.bad_http.id
  name        = "$default"
  auto_deploy = true
}

# Quick create: an implicit `$default` stage without logging.
resource "aws_apigatewayv2_api" "bad_quick" {
  name          = "quick"
  protocol_type = "HTTP"
  target        = aws_lambda_function.fn.arn
}
