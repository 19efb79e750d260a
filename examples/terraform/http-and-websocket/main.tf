# HTTP and WebSocket APIs (API Gateway v2).

# Quick create: `target` makes a `$default` stage that nobody configured to log.
resource "aws_apigatewayv2_api" "quick" {
  name          = "quick-http"
  protocol_type = "HTTP"
  target        = "arn:aws:lambda:eu-west-1:123456789012:function:hello"
}

resource "aws_apigatewayv2_api" "http" {
  name          = "payments-http"
  protocol_type = "HTTP"
}

resource "aws_cloudwatch_log_group" "http_access" {
  name = "/aws/vendedlogs/apigateway/payments-http"
}

resource "aws_apigatewayv2_stage" "http_default" {
  api_id      = aws_apigatewayv2_api.http.id
  name        = "$default"
  auto_deploy = true

  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.http_access.arn
    # resourcePath is a REST API variable: HTTP APIs log it as "-".
    format = "$context.requestId $context.identity.sourceIp $context.httpMethod $context.resourcePath $context.status"
  }
}

resource "aws_apigatewayv2_api" "chat" {
  name                       = "chat"
  protocol_type              = "WEBSOCKET"
  route_selection_expression = "$request.body.action"
}

resource "aws_apigatewayv2_stage" "chat_prod" {
  api_id = aws_apigatewayv2_api.chat.id
  name   = "prod"

  access_log_settings {
    destination_arn = "not-an-arn"
    format          = jsonencode({ requestId = "$context.requestId", connectionId = "$context.connectionId" })
  }

  default_route_settings {
    logging_level          = "OFF"
    throttling_burst_limit = 100
    throttling_rate_limit  = 50
  }
}
