# REST stage without method settings: execution logging is OFF.
resource "aws_api_gateway_stage" "bad_rest" {
  rest_api_id   = aws_api_gateway_rest_api.api.id
  deployment_id = aws_api_gateway_deployment.api.id
  stage_name    = "prod"
}

resource "aws_apigatewayv2_api" "bad_ws" {
  name                       = "chat"
  protocol_type              = "WEBSOCKET"
  route_selection_expression = "$request.body.action"
}

resource "aws_apigatewayv2_stage" "bad_ws" {
  api_id = aws_apigatewayv2_api.bad_ws.id
  name   = "prod"

  default_route_settings {
    logging_level = "ERROR"
  }

  route_settings {
    route_key     = "$connect"
    logging_level = "OFF"
  }
}
