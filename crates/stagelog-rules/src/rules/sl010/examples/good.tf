resource "aws_api_gateway_stage" "good_rest" {
  rest_api_id   = aws_api_gateway_rest_api.api.id
  deployment_id = aws_api_gateway_deployment.api.id
  stage_name    = "prod"
}

resource "aws_api_gateway_method_settings" "good_rest_all" {
  rest_api_id = aws_api_gateway_rest_api.api.id
  stage_name  = aws_api_gateway_stage.good_rest.stage_name
  method_path = "*/*"
  settings {
    logging_level = "ERROR"
  }
}

# HTTP APIs have no execution logs: never a finding here.
resource "aws_apigatewayv2_api" "good_http" {
  name          = "http"
  protocol_type = "HTTP"
}

resource "aws_apigatewayv2_stage" "good_http" {
  api_id = aws_apigatewayv2_api.good_http.id
  name   = "$default"
}
